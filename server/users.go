package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/storage"
)

// userJSON is a user as the API shows it: never the password hash.
type userJSON struct {
	ID       string       `json:"id"`
	Username string       `json:"username"`
	Role     storage.Role `json:"role"`
	Created  time.Time    `json:"created"`
	Disabled bool         `json:"disabled,omitempty"`
}

func userView(u *storage.User) userJSON {
	return userJSON{ID: u.ID, Username: u.Username, Role: u.Role, Created: u.Created, Disabled: u.Disabled}
}

func (s *Server) handleMe(c echo.Context) error {
	u := currentUser(c)
	out := struct {
		userJSON
		CSRFToken string `json:"csrf_token,omitempty"`
	}{userJSON: userView(u)}
	out.CSRFToken = csrfToken(c)
	return c.JSON(http.StatusOK, out)
}

type passwordRequest struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// handleMePassword changes the caller's password and ends all their
// sessions, this one included: a stolen session dies with the old password.
func (s *Server) handleMePassword(c echo.Context) error {
	var req passwordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.changePassword(c, req.Current, req.New); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// changePassword sets the caller's password after checking the current one,
// ends all their sessions and clears this one's cookie. Errors name the
// field at fault: current_password or new_password.
func (s *Server) changePassword(c echo.Context, current, next string) error {
	u := currentUser(c)
	if !verifyPassword(u.PasswordHash, current) {
		e := errf(http.StatusBadRequest, CodeInvalidField, "the current password is wrong")
		e.Field = "current_password"
		return e
	}
	if err := s.setPassword(u.ID, next, "new_password"); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	s.audit(c, "user.password", u.Username, "")
	return nil
}

// setPassword hashes and stores a password and invalidates the user's sessions.
func (s *Server) setPassword(userID, password, field string) error {
	hash, err := HashPassword(password)
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			ae.Field = field
		}
		return err
	}
	if _, err := s.store.UpdateUser(userID, func(u *storage.User) error { u.PasswordHash = hash; return nil }); err != nil {
		return err
	}
	_, err = s.store.DeleteUserSessions(userID)
	return err
}

type tokenJSON struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
	// Secret is present only in the answer that creates the token.
	Secret string `json:"secret,omitempty"`
}

func tokenView(t *storage.Token) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Created: t.Created, LastUsed: t.LastUsed, Revoked: t.Revoked}
}

func (s *Server) handleTokenList(c echo.Context) error {
	toks, err := s.store.Tokens(currentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(toks))
	for i, t := range toks {
		out[i] = tokenView(t)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleTokenCreate(c echo.Context) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	secret, tok, err := s.createToken(c, req.Name)
	if err != nil {
		return err
	}
	out := tokenView(tok)
	out.Secret = secret
	return c.JSON(http.StatusCreated, out)
}

// createToken makes an API token for the caller and returns its secret,
// which is never available again.
func (s *Server) createToken(c echo.Context, name string) (string, *storage.Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, fieldErr("name", "give the token a name of 1 to 100 characters (what will use it)")
	}
	secret, tok, err := s.store.CreateToken(currentUser(c).ID, name)
	if err != nil {
		return "", nil, err
	}
	s.audit(c, "token.create", tok.ID, name)
	return secret, tok, nil
}

func (s *Server) handleTokenRevoke(c echo.Context) error {
	if err := s.revokeToken(c, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// revokeToken revokes one of the caller's tokens. Someone else's token is
// reported as missing, not forbidden: ids are not to be probed.
func (s *Server) revokeToken(c echo.Context, id string) error {
	tok, err := s.store.Token(id)
	if err != nil {
		return err
	}
	if tok.UserID != currentUser(c).ID {
		return errf(http.StatusNotFound, CodeNotFound, "token %s: not found", id)
	}
	if err := s.store.RevokeToken(tok.ID); err != nil {
		return err
	}
	s.audit(c, "token.revoke", tok.ID, tok.Name)
	return nil
}

func (s *Server) handleUserList(c echo.Context) error {
	users, err := s.store.Users()
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = userView(u)
	}
	return c.JSON(http.StatusOK, out)
}

type userCreateRequest struct {
	Username string       `json:"username"`
	Password string       `json:"password"`
	Role     storage.Role `json:"role"`
}

func (s *Server) handleUserCreate(c echo.Context) error {
	var req userCreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if !req.Role.Valid() {
		return fieldErr("role", "role %q is not one of admin, author, viewer", req.Role)
	}
	if strings.TrimSpace(req.Username) == "" {
		return fieldErr("username", "username is required")
	}
	u, err := CreateUser(s.store, req.Username, req.Password, req.Role)
	if err != nil {
		return err
	}
	s.audit(c, "user.create", u.Username, "role "+string(u.Role))
	return c.JSON(http.StatusCreated, userView(u))
}

// CreateUser hashes the password and stores a new user (also used by the CLI).
func CreateUser(st *storage.Store, username, password string, role storage.Role) (*storage.User, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	return st.CreateUser(storage.User{Username: username, PasswordHash: hash, Role: role})
}

type userUpdateRequest struct {
	Role     *storage.Role `json:"role"`
	Disabled *bool         `json:"disabled"`
	Password *string       `json:"password"`
}

func (s *Server) handleUserUpdate(c echo.Context) error {
	var req userUpdateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Role != nil && !req.Role.Valid() {
		return fieldErr("role", "role %q is not one of admin, author, viewer", *req.Role)
	}
	id := c.Param("id")
	before, err := s.store.User(id)
	if err != nil {
		return err
	}
	u, err := s.store.UpdateUser(id, func(u *storage.User) error {
		if req.Role != nil {
			u.Role = *req.Role
		}
		if req.Disabled != nil {
			u.Disabled = *req.Disabled
		}
		return nil
	})
	if err != nil {
		return err
	}
	if req.Role != nil && *req.Role != before.Role {
		s.audit(c, "user.role", u.Username, string(before.Role)+" → "+string(u.Role))
	}
	if req.Disabled != nil && *req.Disabled != before.Disabled {
		s.audit(c, "user.disabled", u.Username, strconv.FormatBool(u.Disabled))
		if u.Disabled {
			if _, err := s.store.DeleteUserSessions(u.ID); err != nil {
				return err
			}
		}
	}
	if req.Password != nil {
		if err := s.setPassword(u.ID, *req.Password, "password"); err != nil {
			return err
		}
		s.audit(c, "user.password_reset", u.Username, "")
	}
	return c.JSON(http.StatusOK, userView(u))
}

func (s *Server) handleAuditList(c echo.Context) error {
	limit := 100
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return fieldErr("limit", "limit must be a number from 1 to 1000")
		}
		limit = n
	}
	entries, err := s.store.Audit(c.QueryParam("before"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, entries)
}

func (s *Server) handleBackup(c echo.Context) error {
	name := "trellis-backup-" + time.Now().UTC().Format("20060102-150405") + ".tar"
	c.Response().Header().Set(echo.HeaderContentType, "application/x-tar")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().WriteHeader(http.StatusOK)
	s.audit(c, "backup.download", name, "")
	// Once streaming has begun an error can only cut the download short;
	// the archive's tar trailer is then missing and restore refuses it.
	if err := s.store.BackupArchive(c.Response()); err != nil {
		s.log.Error("backup download failed", "error", err)
	}
	return nil
}
