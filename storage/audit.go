package storage

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// AuditEntry is one line of the audit log: who did what to what.
type AuditEntry struct {
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`  // a user id or name, or "system"
	Action string    `json:"action"` // e.g. "login", "user.role", "token.revoke"
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// AppendAudit adds an entry to the audit log, which is only ever appended
// to. The id is assigned and, when zero, the time.
func (s *Store) AppendAudit(e AuditEntry) (*AuditEntry, error) {
	e.ID = newID()
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	err := s.db.Update(func(tx *bolt.Tx) error {
		return put(tx.Bucket(bucketAudit), []byte(e.ID), &e)
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Audit lists the audit log newest first: the limit entries (all when
// limit <= 0) that come before the entry with id before ("" for the newest),
// so a page's last id fetches the next page.
func (s *Store) Audit(before string, limit int) ([]*AuditEntry, error) {
	var es []*AuditEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		var k, v []byte
		if before == "" {
			k, v = c.Last()
		} else {
			// Seek lands on before or the first key after it; either way
			// the previous key is the first one older than before.
			if k, _ = c.Seek([]byte(before)); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		for ; k != nil && (limit <= 0 || len(es) < limit); k, v = c.Prev() {
			var e AuditEntry
			if err := decode(k, v, &e); err != nil {
				return err
			}
			es = append(es, &e)
		}
		return nil
	})
	return es, err
}
