package storage

import (
	"strings"
	"testing"
	"time"
)

func TestSessions(t *testing.T) {
	s := openStore(t)
	u := mustUser(t, s, "alice", RoleAuthor)
	secret, sess, err := s.CreateSession(u.ID, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 43 || sess.ID == secret || sess.ID != hashSecret(secret) {
		t.Fatalf("secret %q, id %q: want a 256-bit secret stored only as its hash", secret, sess.ID)
	}

	got, err := s.Session(secret)
	if err != nil || got.UserID != u.ID {
		t.Fatalf("Session = %v, %v", got, err)
	}
	_, err = s.Session(sess.ID)
	wantErr(t, err, ErrNotFound) // the stored hash does not open the session

	if err := s.DeleteSession(sess.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Session(secret)
	wantErr(t, err, ErrNotFound)
	if err := s.DeleteSession(sess.ID); err != nil {
		t.Errorf("deleting a deleted session: %v", err)
	}
}

func TestSessionRawSecretNotStored(t *testing.T) {
	s := openStore(t)
	u := mustUser(t, s, "alice", RoleAuthor)
	secret, _, err := s.CreateSession(u.ID, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := s.Backup(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), secret) {
		t.Error("the session secret is in the store file")
	}
}

func TestCreateSessionUnknownUser(t *testing.T) {
	s := openStore(t)
	_, _, err := s.CreateSession("nobody", time.Now().Add(time.Hour))
	wantErr(t, err, ErrNotFound)
}

func TestSessionExpired(t *testing.T) {
	s := openStore(t)
	u := mustUser(t, s, "alice", RoleAuthor)
	secret, _, _ := s.CreateSession(u.ID, time.Now().Add(-time.Second))
	_, err := s.Session(secret)
	wantErr(t, err, ErrNotFound)
}

func TestTouchSession(t *testing.T) {
	s := openStore(t)
	u := mustUser(t, s, "alice", RoleAuthor)
	secret, sess, _ := s.CreateSession(u.ID, time.Now().Add(time.Hour))

	soon := sess.LastSeen.Add(10 * time.Second)
	if err := s.TouchSession(sess.ID, soon); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Session(secret); !got.LastSeen.Equal(sess.LastSeen) {
		t.Errorf("touch within a minute wrote %v", got.LastSeen)
	}
	later := sess.LastSeen.Add(2 * time.Minute)
	if err := s.TouchSession(sess.ID, later); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Session(secret); !got.LastSeen.Equal(later) {
		t.Errorf("LastSeen = %v, want %v", got.LastSeen, later)
	}
	wantErr(t, s.TouchSession("gone", later), ErrNotFound)
}

func TestDeleteUserSessions(t *testing.T) {
	s := openStore(t)
	alice := mustUser(t, s, "alice", RoleAuthor)
	bob := mustUser(t, s, "bob", RoleAuthor)
	a1, _, _ := s.CreateSession(alice.ID, time.Now().Add(time.Hour))
	a2, _, _ := s.CreateSession(alice.ID, time.Now().Add(time.Hour))
	b1, _, _ := s.CreateSession(bob.ID, time.Now().Add(time.Hour))

	n, err := s.DeleteUserSessions(alice.ID)

	if err != nil || n != 2 {
		t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
	}
	for _, secret := range []string{a1, a2} {
		_, err := s.Session(secret)
		wantErr(t, err, ErrNotFound)
	}
	if _, err := s.Session(b1); err != nil {
		t.Errorf("another user's session went: %v", err)
	}
	mustCheck(t, s)
}

func TestExpireSessions(t *testing.T) {
	s := openStore(t)
	u := mustUser(t, s, "alice", RoleAuthor)
	now := time.Now()
	live, _, _ := s.CreateSession(u.ID, now.Add(time.Hour))
	_, idle, _ := s.CreateSession(u.ID, now.Add(time.Hour))
	_, _, _ = s.CreateSession(u.ID, now.Add(time.Minute)) // past absolute expiry below
	if err := s.TouchSession(idle.ID, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	liveSess, _ := s.Session(live)
	if err := s.TouchSession(liveSess.ID, now.Add(20*time.Minute)); err != nil {
		t.Fatal(err)
	}

	n, err := s.ExpireSessions(now.Add(30*time.Minute), 15*time.Minute)

	if err != nil || n != 2 {
		t.Fatalf("ExpireSessions = %d, %v; want 2", n, err)
	}
	if _, err := s.Session(live); err != nil {
		t.Errorf("the live session went: %v", err)
	}
	mustCheck(t, s)
}
