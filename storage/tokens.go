package storage

import (
	"crypto/subtle"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TokenPrefix starts every API token secret, so that a leaked token is
// recognisable (by people and by secret scanners) for what it is.
const TokenPrefix = "trellis_"

// Token is a personal API token. Only the SHA-256 of its secret is stored.
type Token struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	// Hash is the hex SHA-256 of the secret.
	Hash     string    `json:"hash"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"`
	// Revoked is when the token was revoked; zero while it works.
	Revoked time.Time `json:"revoked,omitzero"`
}

// CreateToken makes an API token for the user. It returns the secret —
// shown this once and never stored — or ErrNotFound when there is no such
// user.
func (s *Store) CreateToken(userID, name string) (secret string, _ *Token, _ error) {
	secret = newSecret(TokenPrefix)
	t := &Token{ID: newID(), UserID: userID, Name: name, Hash: hashSecret(secret), Created: time.Now().UTC()}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := getUser(tx, userID); err != nil {
			return err
		}
		byUser, err := tx.Bucket(bucketTokensByUser).CreateBucketIfNotExists([]byte(userID))
		if err != nil {
			return err
		}
		if err := byUser.Put([]byte(t.ID), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokensByHash).Put([]byte(t.Hash), []byte(t.ID)); err != nil {
			return err
		}
		return put(tx.Bucket(bucketTokens), []byte(t.ID), t)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// TokenBySecret returns the token a request presents. Unknown and revoked
// tokens both return ErrNotFound. Whether the token's user may still act
// (exists, not disabled) is the caller's check.
func (s *Store) TokenBySecret(secret string) (*Token, error) {
	hash := hashSecret(secret)
	var t *Token
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketTokensByHash).Get([]byte(hash))
		if id == nil {
			return fmt.Errorf("token: %w", ErrNotFound)
		}
		var err error
		if t, err = getToken(tx, string(id)); err != nil {
			return err
		}
		// The index lookup already matched the hash; the constant-time
		// comparison guards against an index that disagrees with its record.
		if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 || !t.Revoked.IsZero() {
			return fmt.Errorf("token: %w", ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Token returns the token with the id, revoked or not, or ErrNotFound.
func (s *Store) Token(id string) (*Token, error) {
	var t *Token
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		t, err = getToken(tx, id)
		return err
	})
	return t, err
}

// Tokens lists a user's tokens, revoked ones included, newest first.
func (s *Store) Tokens(userID string) ([]*Token, error) {
	var ts []*Token
	err := s.db.View(func(tx *bolt.Tx) error {
		ids := tx.Bucket(bucketTokensByUser).Bucket([]byte(userID))
		if ids == nil {
			return nil
		}
		return ids.ForEach(func(k, _ []byte) error {
			t, err := getToken(tx, string(k))
			if err != nil {
				return err
			}
			ts = append(ts, t)
			return nil
		})
	})
	slices.Reverse(ts)
	return ts, err
}

// RevokeToken stops a token from working; its record stays for the user's
// list. Revoking a revoked token changes nothing. It returns ErrNotFound.
func (s *Store) RevokeToken(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		t, err := getToken(tx, id)
		if err != nil {
			return err
		}
		if !t.Revoked.IsZero() {
			return nil
		}
		t.Revoked = time.Now().UTC()
		if err := tx.Bucket(bucketTokensByHash).Delete([]byte(t.Hash)); err != nil {
			return err
		}
		return put(tx.Bucket(bucketTokens), []byte(id), t)
	})
}

// TouchToken records that the token was used at the time. It writes only
// when the stored time is over a minute old. It returns ErrNotFound.
func (s *Store) TouchToken(id string, at time.Time) error {
	t, err := s.Token(id)
	if err != nil {
		return err
	}
	if at.Sub(t.LastUsed) < touchEvery {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		t, err := getToken(tx, id)
		if err != nil {
			return err
		}
		if at.After(t.LastUsed) {
			t.LastUsed = at.UTC()
		}
		return put(tx.Bucket(bucketTokens), []byte(id), t)
	})
}

func deleteUserTokens(tx *bolt.Tx, userID string) error {
	byUser := tx.Bucket(bucketTokensByUser)
	ids := byUser.Bucket([]byte(userID))
	if ids == nil {
		return nil
	}
	err := ids.ForEach(func(k, _ []byte) error {
		t, err := getToken(tx, string(k))
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokensByHash).Delete([]byte(t.Hash)); err != nil {
			return err
		}
		return tx.Bucket(bucketTokens).Delete(k)
	})
	if err != nil {
		return err
	}
	return byUser.DeleteBucket([]byte(userID))
}

func getToken(tx *bolt.Tx, id string) (*Token, error) {
	var t Token
	ok, err := get(tx.Bucket(bucketTokens), []byte(id), &t)
	if err != nil {
		return nil, fmt.Errorf("token %s: %w", id, err)
	}
	if !ok {
		return nil, fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	return &t, nil
}
