package storage

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Role is what a user may do.
type Role string

// The roles, from most to least trusted.
const (
	// RoleAdmin manages users and the module library and may do everything.
	RoleAdmin Role = "admin"
	// RoleAuthor creates, runs and publishes workflows.
	RoleAuthor Role = "author"
	// RoleViewer reads and runs nothing.
	RoleViewer Role = "viewer"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleAuthor || r == RoleViewer
}

// User is an account.
type User struct {
	ID string `json:"id"`
	// Username is unique regardless of case; its case is kept for display.
	Username string `json:"username"`
	// PasswordHash is opaque here: the server hashes and verifies passwords
	// (argon2id, in its encoded string form).
	PasswordHash string    `json:"password_hash"`
	Role         Role      `json:"role"`
	Created      time.Time `json:"created"`
	Disabled     bool      `json:"disabled,omitempty"`
}

func (u *User) activeAdmin() bool { return u.Role == RoleAdmin && !u.Disabled }

func (u *User) validate() error {
	if strings.TrimSpace(u.Username) == "" || u.Username != strings.TrimSpace(u.Username) {
		return fmt.Errorf("username %q: must be non-empty without surrounding spaces", u.Username)
	}
	if !u.Role.Valid() {
		return fmt.Errorf("user %s: unknown role %q (want admin, author or viewer)", u.Username, u.Role)
	}
	return nil
}

func usernameKey(name string) []byte { return []byte(strings.ToLower(name)) }

// CreateUser adds a user with a new id and creation time. It returns
// ErrExists when the username is taken, in any case.
func (s *Store) CreateUser(u User) (*User, error) {
	if err := u.validate(); err != nil {
		return nil, err
	}
	u.ID = newID()
	u.Created = time.Now().UTC()
	err := s.db.Update(func(tx *bolt.Tx) error {
		byName := tx.Bucket(bucketUsersByName)
		if byName.Get(usernameKey(u.Username)) != nil {
			return fmt.Errorf("username %s: %w", u.Username, ErrExists)
		}
		if err := byName.Put(usernameKey(u.Username), []byte(u.ID)); err != nil {
			return err
		}
		return put(tx.Bucket(bucketUsers), []byte(u.ID), &u)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// User returns the user with the id, or ErrNotFound.
func (s *Store) User(id string) (*User, error) {
	var u *User
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		u, err = getUser(tx, id)
		return err
	})
	return u, err
}

// UserByName returns the user with the username, compared without regard to
// case, or ErrNotFound.
func (s *Store) UserByName(username string) (*User, error) {
	var u *User
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketUsersByName).Get(usernameKey(username))
		if id == nil {
			return fmt.Errorf("username %s: %w", username, ErrNotFound)
		}
		var err error
		u, err = getUser(tx, string(id))
		return err
	})
	return u, err
}

// Users lists every user by username.
func (s *Store) Users() ([]*User, error) {
	var us []*User
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(k, _ []byte) error {
			u, err := getUser(tx, string(k))
			if err != nil {
				return err
			}
			us = append(us, u)
			return nil
		})
	})
	slices.SortFunc(us, func(a, b *User) int {
		return cmp.Compare(strings.ToLower(a.Username), strings.ToLower(b.Username))
	})
	return us, err
}

// UpdateUser changes a user through fn, in one transaction: rename, role,
// password hash, disabling. The id and creation time cannot change. It
// returns ErrNotFound, ErrExists for a taken username, ErrConflict when the
// change would leave no enabled admin, or fn's error (nothing is written).
func (s *Store) UpdateUser(id string, fn func(*User) error) (*User, error) {
	var u *User
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, err := getUser(tx, id)
		if err != nil {
			return err
		}
		c := *old
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.Created = old.ID, old.Created
		if err := c.validate(); err != nil {
			return err
		}
		if old.activeAdmin() && !c.activeAdmin() {
			if err := keepAnAdmin(tx, id); err != nil {
				return err
			}
		}
		if oldKey, newKey := usernameKey(old.Username), usernameKey(c.Username); string(oldKey) != string(newKey) {
			byName := tx.Bucket(bucketUsersByName)
			if byName.Get(newKey) != nil {
				return fmt.Errorf("username %s: %w", c.Username, ErrExists)
			}
			if err := byName.Delete(oldKey); err != nil {
				return err
			}
			if err := byName.Put(newKey, []byte(id)); err != nil {
				return err
			}
		}
		u = &c
		return put(tx.Bucket(bucketUsers), []byte(id), &c)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteUser removes a user with its sessions and API tokens. Workflows and
// runs keep the id as their author. It returns ErrNotFound, or ErrConflict
// for the last enabled admin.
func (s *Store) DeleteUser(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		u, err := getUser(tx, id)
		if err != nil {
			return err
		}
		if u.activeAdmin() {
			if err := keepAnAdmin(tx, id); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketUsersByName).Delete(usernameKey(u.Username)); err != nil {
			return err
		}
		if _, err := deleteUserSessions(tx, id); err != nil {
			return err
		}
		if err := deleteUserTokens(tx, id); err != nil {
			return err
		}
		return tx.Bucket(bucketUsers).Delete([]byte(id))
	})
}

// keepAnAdmin refuses a change that takes away the last enabled admin, which
// would lock everyone out of user management. It is checked in the writing
// transaction so two admins demoting each other at once cannot both succeed.
func keepAnAdmin(tx *bolt.Tx, leaving string) error {
	found := errors.New("found")
	err := tx.Bucket(bucketUsers).ForEach(func(k, _ []byte) error {
		if string(k) == leaving {
			return nil
		}
		u, err := getUser(tx, string(k))
		if err != nil {
			return err
		}
		if u.activeAdmin() {
			return found
		}
		return nil
	})
	if errors.Is(err, found) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("user %s: the last enabled admin cannot be removed, disabled or demoted: %w", leaving, ErrConflict)
}

func getUser(tx *bolt.Tx, id string) (*User, error) {
	var u User
	ok, err := get(tx.Bucket(bucketUsers), []byte(id), &u)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", id, err)
	}
	if !ok {
		return nil, fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	return &u, nil
}
