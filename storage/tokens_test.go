package storage

import (
	"strings"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	s := openStore(t)
	u := mustUser(t, s, "alice", RoleAuthor)
	secret, tok, err := s.CreateToken(u.ID, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || tok.Hash != hashSecret(secret) {
		t.Fatalf("secret %q, hash %q", secret, tok.Hash)
	}
	_, second, _ := s.CreateToken(u.ID, "ci")

	got, err := s.TokenBySecret(secret)
	if err != nil || got.ID != tok.ID || got.Name != "laptop" {
		t.Fatalf("TokenBySecret = %v, %v", got, err)
	}
	_, err = s.TokenBySecret(secret + "x")
	wantErr(t, err, ErrNotFound)

	list, err := s.Tokens(u.ID)
	if err != nil || len(list) != 2 || list[0].ID != second.ID || list[1].ID != tok.ID {
		t.Fatalf("Tokens = %v, %v; want newest first", list, err)
	}

	if err := s.RevokeToken(tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.TokenBySecret(secret)
	wantErr(t, err, ErrNotFound)
	if got, _ := s.Token(tok.ID); got.Revoked.IsZero() {
		t.Error("revoked token has no revocation time")
	}
	if err := s.RevokeToken(tok.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	wantErr(t, s.RevokeToken("nope"), ErrNotFound)
	mustCheck(t, s)
}

func TestCreateTokenUnknownUser(t *testing.T) {
	s := openStore(t)
	_, _, err := s.CreateToken("nobody", "x")
	wantErr(t, err, ErrNotFound)
}

func TestTouchToken(t *testing.T) {
	s := openStore(t)
	u := mustUser(t, s, "alice", RoleAuthor)
	_, tok, _ := s.CreateToken(u.ID, "ci")
	at := time.Now().Add(time.Hour).UTC()
	if err := s.TouchToken(tok.ID, at); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchToken(tok.ID, at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Token(tok.ID); !got.LastUsed.Equal(at) {
		t.Errorf("LastUsed = %v, want %v (a touch within a minute writes nothing)", got.LastUsed, at)
	}
	wantErr(t, s.TouchToken("nope", at), ErrNotFound)
}
