package storage

import (
	"errors"
	"testing"
	"time"
)

func TestUsers(t *testing.T) {
	s := openStore(t)
	alice := mustUser(t, s, "Alice", RoleAdmin)
	mustUser(t, s, "bob", RoleViewer)

	got, err := s.UserByName("ALICE")
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, alice)
	if got, err = s.User(alice.ID); err != nil || got.Username != "Alice" {
		t.Fatalf("User = %v, %v", got, err)
	}

	users, err := s.Users()
	if err != nil || len(users) != 2 || users[0].Username != "Alice" || users[1].Username != "bob" {
		t.Fatalf("Users = %v, %v", users, err)
	}

	u, err := s.UpdateUser(alice.ID, func(u *User) error {
		u.Username, u.PasswordHash, u.ID = "alicia", "new-hash", "hijacked"
		return nil
	})
	if err != nil || u.ID != alice.ID || u.Username != "alicia" || u.PasswordHash != "new-hash" {
		t.Fatalf("UpdateUser = %+v, %v", u, err)
	}
	_, err = s.UserByName("alice")
	wantErr(t, err, ErrNotFound)
	if got, _ := s.UserByName("Alicia"); got == nil || got.ID != alice.ID {
		t.Fatalf("renamed user not found by new name: %v", got)
	}
	mustCheck(t, s)
}

func TestCreateUserRefuses(t *testing.T) {
	tests := []struct {
		name string
		give User
		want error
	}{
		{"taken name", User{Username: "alice", Role: RoleViewer}, ErrExists},
		{"taken name in other case", User{Username: "ALICE", Role: RoleViewer}, ErrExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			mustUser(t, s, "alice", RoleAdmin)
			_, err := s.CreateUser(tt.give)
			wantErr(t, err, tt.want)
		})
	}
}

func TestCreateUserRefusesInvalid(t *testing.T) {
	for _, give := range []User{
		{Username: "", Role: RoleAdmin},
		{Username: " padded ", Role: RoleAdmin},
		{Username: "carol", Role: "root"},
	} {
		s := openStore(t)
		if _, err := s.CreateUser(give); err == nil {
			t.Errorf("CreateUser(%+v) succeeded", give)
		}
	}
}

func TestUpdateUserRefusesTakenName(t *testing.T) {
	s := openStore(t)
	mustUser(t, s, "alice", RoleAdmin)
	bob := mustUser(t, s, "bob", RoleAdmin)
	_, err := s.UpdateUser(bob.ID, func(u *User) error { u.Username = "Alice"; return nil })
	wantErr(t, err, ErrExists)
	if got, _ := s.User(bob.ID); got.Username != "bob" {
		t.Errorf("username changed to %q", got.Username)
	}
}

func TestUpdateUserFnErrorWritesNothing(t *testing.T) {
	s := openStore(t)
	alice := mustUser(t, s, "alice", RoleAdmin)
	boom := errors.New("boom")
	_, err := s.UpdateUser(alice.ID, func(u *User) error { u.Role = RoleViewer; return boom })
	wantErr(t, err, boom)
	if got, _ := s.User(alice.ID); got.Role != RoleAdmin {
		t.Errorf("role changed to %s", got.Role)
	}
}

func TestLastAdminStays(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *Store, id string) error
	}{
		{"demote", func(s *Store, id string) error {
			_, err := s.UpdateUser(id, func(u *User) error { u.Role = RoleAuthor; return nil })
			return err
		}},
		{"disable", func(s *Store, id string) error {
			_, err := s.UpdateUser(id, func(u *User) error { u.Disabled = true; return nil })
			return err
		}},
		{"delete", func(s *Store, id string) error { return s.DeleteUser(id) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			admin := mustUser(t, s, "root", RoleAdmin)
			mustUser(t, s, "disabled-admin", RoleAdmin)
			other, _ := s.UserByName("disabled-admin")
			if _, err := s.UpdateUser(other.ID, func(u *User) error { u.Disabled = true; return nil }); err != nil {
				t.Fatal(err)
			}

			wantErr(t, tt.change(s, admin.ID), ErrConflict)

			mustUser(t, s, "second", RoleAdmin)
			if err := tt.change(s, admin.ID); err != nil {
				t.Fatalf("with a second admin: %v", err)
			}
		})
	}
}

func TestDeleteUserRemovesSessionsAndTokens(t *testing.T) {
	s := openStore(t)
	mustUser(t, s, "root", RoleAdmin)
	bob := mustUser(t, s, "bob", RoleAuthor)
	sessSecret, _, err := s.CreateSession(bob.ID, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tokSecret, _, err := s.CreateToken(bob.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteUser(bob.ID); err != nil {
		t.Fatal(err)
	}

	_, err = s.User(bob.ID)
	wantErr(t, err, ErrNotFound)
	_, err = s.UserByName("bob")
	wantErr(t, err, ErrNotFound)
	_, err = s.Session(sessSecret)
	wantErr(t, err, ErrNotFound)
	_, err = s.TokenBySecret(tokSecret)
	wantErr(t, err, ErrNotFound)
	wantErr(t, s.DeleteUser(bob.ID), ErrNotFound)
	mustCheck(t, s)
}
