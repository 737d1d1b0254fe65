package storage

import (
	"testing"
	"time"
)

func TestAudit(t *testing.T) {
	s := openStore(t)
	var ids []string
	for _, action := range []string{"login", "user.role", "token.create", "token.revoke"} {
		e, err := s.AppendAudit(AuditEntry{Actor: "alice", Action: action, Target: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		if e.Time.IsZero() || time.Since(e.Time) > time.Minute {
			t.Errorf("entry time %v", e.Time)
		}
		ids = append(ids, e.ID)
	}

	tests := []struct {
		name   string
		before string
		limit  int
		want   []string
	}{
		{"all", "", 0, []string{ids[3], ids[2], ids[1], ids[0]}},
		{"newest two", "", 2, []string{ids[3], ids[2]}},
		{"next page", ids[2], 2, []string{ids[1], ids[0]}},
		{"past the end", ids[0], 2, nil},
		{"before an id newer than all", "ffffffff", 1, []string{ids[3]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := s.Audit(tt.before, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.ID)
			}
			jsonEqual(t, got, tt.want)
		})
	}
}
