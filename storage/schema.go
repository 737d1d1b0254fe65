package storage

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Top-level bucket names; doc.go draws the tree.
var (
	bucketMeta           = []byte("meta")
	bucketUsers          = []byte("users")
	bucketUsersByName    = []byte("users_by_name")
	bucketSessions       = []byte("sessions")
	bucketSessionsByUser = []byte("sessions_by_user")
	bucketTokens         = []byte("tokens")
	bucketTokensByHash   = []byte("tokens_by_hash")
	bucketTokensByUser   = []byte("tokens_by_user")
	bucketWorkflows      = []byte("workflows")
	bucketDatasets       = []byte("datasets")
	bucketDatasetsByName = []byte("datasets_by_name")
	bucketDatasetUsers   = []byte("dataset_users")
	bucketBlobs          = []byte("blobs")
	bucketRuns           = []byte("runs")
	bucketRunsByWorkflow = []byte("runs_by_workflow")
	bucketRunsActive     = []byte("runs_active")
	bucketAudit          = []byte("audit")
)

// Keys inside buckets.
var (
	keySchemaVersion = []byte("schema_version")
	keyCreated       = []byte("created")
	keyInfo          = []byte("info")
	keyRevisions     = []byte("revisions")
	keyVersions      = []byte("versions")
	keyNodes         = []byte("nodes")
	keyPreviews      = []byte("previews")
)

// currentBuckets are the top-level buckets the code of this version expects;
// Open refuses to start if a migration forgot one.
var currentBuckets = [][]byte{
	bucketMeta, bucketUsers, bucketUsersByName, bucketSessions, bucketSessionsByUser,
	bucketTokens, bucketTokensByHash, bucketTokensByUser, bucketWorkflows,
	bucketDatasets, bucketDatasetsByName, bucketDatasetUsers, bucketBlobs,
	bucketRuns, bucketRunsByWorkflow, bucketRunsActive, bucketAudit,
}

// migration moves the store from version-1 to version. Each runs in its own
// transaction together with the version bump, so a crash leaves the store at
// one version or the next, and the next Open carries on.
type migration struct {
	version int
	name    string
	fn      func(tx *bolt.Tx) error
}

// migrations are applied in order. Append only: a migration that has shipped
// is never edited, since stores in the field have already run it. Each one
// has a case in TestMigrations.
var migrations = []migration{
	{1, "create buckets", func(tx *bolt.Tx) error {
		// The list is spelled out rather than taken from currentBuckets so
		// that this migration stays what it was when later ones add buckets.
		for _, name := range []string{
			"users", "users_by_name", "sessions", "sessions_by_user",
			"tokens", "tokens_by_hash", "tokens_by_user", "workflows",
			"datasets", "datasets_by_name", "dataset_users", "blobs",
			"runs", "runs_by_workflow", "runs_active", "audit",
		} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyCreated, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	}},
}

// SchemaVersion is the schema version this code writes: the last migration's.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// schemaVersion reads the store's version; a store with no meta bucket is at
// version 0 (a bbolt file no migration has touched).
func schemaVersion(tx *bolt.Tx) int {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0
	}
	return btoi(b.Get(keySchemaVersion))
}

func checkVersion(tx *bolt.Tx) error {
	if v := schemaVersion(tx); v > SchemaVersion() {
		return newerSchema(v, SchemaVersion())
	}
	return nil
}

func newerSchema(have, know int) error {
	return fmt.Errorf("storage: schema version %d, this Trellis understands up to %d; upgrade Trellis: %w", have, know, ErrNewerSchema)
}

// migrate applies the migrations the store has not had yet.
func migrate(db *bolt.DB, log *slog.Logger) error {
	return migrateTo(db, log, migrations)
}

func migrateTo(db *bolt.DB, log *slog.Logger, ms []migration) error {
	var current int
	if err := db.View(func(tx *bolt.Tx) error {
		current = schemaVersion(tx)
		last := 0
		if len(ms) > 0 {
			last = ms[len(ms)-1].version
		}
		if current > last {
			return newerSchema(current, last)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		err := db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			if err := m.fn(tx); err != nil {
				return err
			}
			return meta.Put(keySchemaVersion, itob(m.version))
		})
		if err != nil {
			return fmt.Errorf("storage: migration %d (%s): %w", m.version, m.name, err)
		}
		log.Info("migrated store", "version", m.version, "migration", m.name)
	}
	return nil
}

func checkBuckets(tx *bolt.Tx) error {
	for _, name := range currentBuckets {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("storage: schema version %d lacks bucket %q (a migration is missing)", schemaVersion(tx), name)
		}
	}
	return nil
}

// get decodes the JSON value at key. Decoding copies, so nothing returned
// points into bbolt's memory after the transaction.
func get(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	return true, decode(key, data, v)
}

func decode(key, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %q: %w", key, err)
	}
	return nil
}

func put(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
