package storage

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// migrationTests holds, for each migration version, what must be true right
// after it ran on a store at the previous version. TestMigrations fails for
// a migration that has no entry.
var migrationTests = map[int]func(t *testing.T, tx *bolt.Tx){
	1: func(t *testing.T, tx *bolt.Tx) {
		for _, name := range currentBuckets {
			if tx.Bucket(name) == nil {
				t.Errorf("bucket %s missing", name)
			}
		}
		if tx.Bucket(bucketMeta).Get(keyCreated) == nil {
			t.Error("meta/created missing")
		}
	},
}

// rawDB opens a bare bbolt file, as a store at version 0 is.
func rawDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), dbName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestMigrations(t *testing.T) {
	for i, m := range migrations {
		t.Run(m.name, func(t *testing.T) {
			check, ok := migrationTests[m.version]
			if !ok {
				t.Fatalf("migration %d (%s) has no test in migrationTests", m.version, m.name)
			}
			db := rawDB(t)
			if err := migrateTo(db, slog.New(slog.DiscardHandler), migrations[:i]); err != nil {
				t.Fatalf("migrating to %d: %v", i, err)
			}

			if err := migrateTo(db, slog.New(slog.DiscardHandler), migrations[:i+1]); err != nil {
				t.Fatalf("migration %d: %v", m.version, err)
			}

			_ = db.View(func(tx *bolt.Tx) error {
				if v := schemaVersion(tx); v != m.version {
					t.Errorf("schema version %d, want %d", v, m.version)
				}
				check(t, tx)
				return nil
			})
			if err := db.View(checkTx); err != nil {
				t.Errorf("consistency: %v", err)
			}
		})
	}
}

func TestMigrationsAreNumberedInOrder(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 {
			t.Errorf("migrations[%d] is version %d, want %d", i, m.version, i+1)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := rawDB(t)
	for range 2 {
		if err := migrate(db, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.View(checkBuckets); err != nil {
		t.Fatal(err)
	}
}

func TestFailedMigrationKeepsThePreviousVersion(t *testing.T) {
	db := rawDB(t)
	boom := errors.New("boom")
	ms := []migration{
		{1, "one", func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("one")); return err }},
		{2, "two", func(tx *bolt.Tx) error {
			if _, err := tx.CreateBucket([]byte("two")); err != nil {
				return err
			}
			return boom
		}},
	}

	err := migrateTo(db, slog.New(slog.DiscardHandler), ms)

	wantErr(t, err, boom)
	_ = db.View(func(tx *bolt.Tx) error {
		if v := schemaVersion(tx); v != 1 {
			t.Errorf("schema version %d, want 1", v)
		}
		if tx.Bucket([]byte("two")) != nil {
			t.Error("the failed migration's changes were kept")
		}
		return nil
	})
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	db := rawDB(t)
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keySchemaVersion, itob(SchemaVersion()+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, migrate(db, slog.New(slog.DiscardHandler)), ErrNewerSchema)
}
