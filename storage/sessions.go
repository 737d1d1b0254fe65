package storage

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// touchEvery is how stale a last-seen or last-used time may be before a
// request writes a fresh one. Without it every authenticated request would
// be a write transaction and an fsync.
const touchEvery = time.Minute

// Session is a logged-in browser. Only the SHA-256 of its secret is stored:
// the secret itself lives in the cookie.
type Session struct {
	// ID is the hex SHA-256 of the secret: safe to log and to show.
	ID       string    `json:"id"`
	UserID   string    `json:"user_id"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	// Expires is the absolute expiry; idle expiry is the caller's policy,
	// applied to LastSeen.
	Expires time.Time `json:"expires"`
}

// CreateSession starts a session for the user that ends at expires. It
// returns the secret for the cookie — shown this once and never stored — or
// ErrNotFound when there is no such user.
func (s *Store) CreateSession(userID string, expires time.Time) (secret string, _ *Session, _ error) {
	secret = newSecret("")
	now := time.Now().UTC()
	sess := &Session{ID: hashSecret(secret), UserID: userID, Created: now, LastSeen: now, Expires: expires.UTC()}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := getUser(tx, userID); err != nil {
			return err
		}
		byUser, err := tx.Bucket(bucketSessionsByUser).CreateBucketIfNotExists([]byte(userID))
		if err != nil {
			return err
		}
		if err := byUser.Put([]byte(sess.ID), nil); err != nil {
			return err
		}
		return put(tx.Bucket(bucketSessions), []byte(sess.ID), sess)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, sess, nil
}

// Session returns the session a cookie's secret opens. An unknown secret and
// an expired session both return ErrNotFound, so a caller cannot tell them
// apart by accident. Idle expiry (against LastSeen) and whether the user may
// still act are the caller's checks.
func (s *Store) Session(secret string) (*Session, error) {
	id := hashSecret(secret)
	var sess Session
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bucketSessions), []byte(id), &sess)
		if err != nil {
			return fmt.Errorf("session %s: %w", id, err)
		}
		if !ok || !time.Now().Before(sess.Expires) {
			return fmt.Errorf("session %s: %w", id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sess, nil
}

// TouchSession records that the session was seen at the time. It writes
// only when the stored time is over a minute old. It returns ErrNotFound when
// the session is gone.
func (s *Store) TouchSession(id string, at time.Time) error {
	var sess Session
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bucketSessions), []byte(id), &sess)
		if !ok && err == nil {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("session %s: %w", id, err)
	}
	if at.Sub(sess.LastSeen) < touchEvery {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		ok, err := get(b, []byte(id), &sess)
		if err != nil {
			return fmt.Errorf("session %s: %w", id, err)
		}
		if !ok {
			return fmt.Errorf("session %s: %w", id, ErrNotFound)
		}
		if at.After(sess.LastSeen) {
			sess.LastSeen = at.UTC()
		}
		return put(b, []byte(id), &sess)
	})
}

// DeleteSession ends a session (logout). Ending one that is gone is not an
// error.
func (s *Store) DeleteSession(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return deleteSession(tx, id)
	})
}

// DeleteUserSessions ends every session of the user (password change,
// disabling) and returns how many there were.
func (s *Store) DeleteUserSessions(userID string) (int, error) {
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		n, err = deleteUserSessions(tx, userID)
		return err
	})
	return n, err
}

// ExpireSessions deletes the sessions past their expiry at now, and, when
// idle is positive, those not seen for idle. It returns how many went.
func (s *Store) ExpireSessions(now time.Time, idle time.Duration) (int, error) {
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		var dead []string
		err := tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			var sess Session
			if err := decode(k, v, &sess); err != nil {
				return err
			}
			if !now.Before(sess.Expires) || (idle > 0 && now.Sub(sess.LastSeen) >= idle) {
				dead = append(dead, sess.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Deleting while iterating with ForEach skips keys; collect first.
		for _, id := range dead {
			if err := deleteSession(tx, id); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

func deleteSession(tx *bolt.Tx, id string) error {
	var sess Session
	b := tx.Bucket(bucketSessions)
	ok, err := get(b, []byte(id), &sess)
	if err != nil || !ok {
		return err
	}
	if byUser := tx.Bucket(bucketSessionsByUser).Bucket([]byte(sess.UserID)); byUser != nil {
		if err := byUser.Delete([]byte(id)); err != nil {
			return err
		}
	}
	return b.Delete([]byte(id))
}

func deleteUserSessions(tx *bolt.Tx, userID string) (int, error) {
	byUser := tx.Bucket(bucketSessionsByUser)
	ids := byUser.Bucket([]byte(userID))
	if ids == nil {
		return 0, nil
	}
	n := 0
	err := ids.ForEach(func(k, _ []byte) error {
		n++
		return tx.Bucket(bucketSessions).Delete(k)
	})
	if err != nil {
		return 0, err
	}
	return n, byUser.DeleteBucket([]byte(userID))
}
