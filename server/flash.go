package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/trellis-studio/trellis/web"
)

// flashCookie carries a message across the redirect that answers a form
// posted without JavaScript (with htmx the message comes in the response),
// so both ways of using a page say what happened.
const flashCookie = "trellis_flash"

// maxFlashMessage bounds a message read back from the cookie; the server
// writes far shorter ones, so anything longer was not written by it.
const maxFlashMessage = 500

// redirectWithFlash answers with a 303 to target, which shows msg.
func (s *Server) redirectWithFlash(c echo.Context, target string, msg web.Flash) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
		MaxAge: 60, HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, target)
}

// takeFlashes returns the message a redirect left, if any, and clears it so
// it shows once. A cookie that does not decode to a message of a known kind
// is dropped: the message text is only ever rendered escaped, but it should
// come from this server.
func (s *Server) takeFlashes(c echo.Context) []web.Flash {
	ck, err := c.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	var f web.Flash
	if json.Unmarshal(b, &f) != nil || f.Message == "" || len(f.Message) > maxFlashMessage {
		return nil
	}
	switch f.Kind {
	case web.FlashSuccess, web.FlashError, web.FlashInfo:
		return []web.Flash{f}
	}
	return nil
}
