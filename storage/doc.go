// Package storage keeps Trellis's state: users, sessions, API tokens,
// workflows with their revisions, datasets, runs and the audit log, in one
// bbolt file, with dataset content in content-addressed files beside it.
//
// # Files
//
//	DIR/                          created 0700
//	├── trellis.db                bbolt, 0600, locked by the process that has it open
//	└── blobs/
//	    ├── .tmp-*                uploads in flight (removed by Open)
//	    └── ab/abcdef…            dataset content, named by its SHA-256
//
// Large values do not belong in bbolt: a dataset's bytes are a blob, written
// to a temporary file, fsynced, renamed into place and the directory fsynced
// before a dataset version records its hash. Blobs no version references are
// removed after the transaction that dropped the last reference commits, and
// by the next Open if that removal did not happen.
//
// # Schema
//
// Version 1. Records are JSON; ids are UUIDv7 strings (time-ordered, so a
// bucket keyed by them lists oldest first); numbers used as keys are 8-byte
// big-endian so they sort numerically.
//
//	meta
//	    schema_version              → uint64: the last migration applied
//	    created                     → RFC 3339 time the store was created
//	users
//	    <user id>                   → User
//	users_by_name
//	    <lower(username)>           → user id
//	sessions
//	    <hex sha256(secret)>        → Session
//	sessions_by_user
//	    <user id>/
//	        <session id>            → ""
//	tokens
//	    <token id>                  → Token
//	tokens_by_hash                  (active tokens only)
//	    <hex sha256(secret)>        → token id
//	tokens_by_user
//	    <user id>/
//	        <token id>              → ""
//	workflows
//	    <workflow id>/
//	        info                    → Workflow (latest revision number, name, datasets)
//	        revisions/
//	            <revision uint64>   → Revision with its document; never rewritten
//	dataset_users                   (what the latest revisions read)
//	    <lower(dataset name)>/
//	        <workflow id>           → JSON array of Import Data node ids
//	datasets
//	    <dataset id>/
//	        info                    → Dataset (with a copy of its latest version)
//	        versions/
//	            <version uint64>    → DatasetVersion
//	datasets_by_name
//	    <lower(name)>               → dataset id
//	blobs
//	    <sha256 hex>                → uint64: dataset versions referencing it
//	runs
//	    <run id>/
//	        info                    → Run without node results
//	        nodes/
//	            <node id>           → workflow.NodeRun (status, error, logs, fitted state…)
//	        previews/
//	            <node.port>         → opaque JSON made by the caller
//	runs_by_workflow
//	    <workflow id>/
//	        <run id>                → ""
//	runs_active                     (runs not finished)
//	    <run id>                    → ""
//	audit
//	    <entry id>                  → AuditEntry
//
// # Transactions
//
// Each exported method is one bbolt transaction, and every index is changed
// in the same transaction as its records. Writes are fsynced at commit
// (bbolt's NoSync is never set), so a method that returned nil has made its
// change durable: a process killed at any moment loses nothing it
// acknowledged. Nothing returned points into bbolt's memory.
//
// # Start-up
//
// Open takes an exclusive lock on trellis.db, waiting up to a timeout (5 s by
// default) before failing with ErrLocked, so a second process on the same
// directory stops with a clear message instead of corrupting the file. A new
// store is built under a temporary name and linked into place when
// complete. An existing one is first opened read-only and checked
// (bbolt's consistency check, every page read, file size against its page
// count); a damaged file fails with ErrCorrupt and is never written to. The
// schema is migrated (a store from a newer Trellis fails with
// ErrNewerSchema), runs that were in progress when the previous process
// stopped are marked failed ("interrupted by a restart"), and leftover
// temporary and unreferenced blob files are removed. No manual recovery is
// ever needed after a crash.
//
// # Migrations
//
// The schema version is the number of the last migration applied. Migrations
// are listed in order in schema.go, each run in its own transaction together
// with the version bump, and each has a test. A shipped migration is never
// edited; a change is a new migration.
//
// # Deleting
//
// Deletes are hard. Deleting a workflow removes its revisions and its runs
// (refused with ErrInUse while a run is in progress); the audit log is the
// record that it existed. Deleting a dataset is refused with ErrInUse while
// the latest revision of any workflow reads it; older revisions do not hold
// it. Deleting a user removes their sessions and tokens; the last enabled
// admin cannot be deleted, disabled or demoted (ErrConflict).
//
// # Backup and restore
//
// Backups are taken while the store is in use, from one read transaction
// (bbolt's Tx.WriteTo), so they are consistent under concurrent writes.
//
//   - Backup / BackupFile: the records only (trellis.db), for a quick copy.
//   - BackupArchive / BackupArchiveFile: a tar of trellis.db followed by every
//     blob it references (blobs/ab/abcdef…) — what `trellis backup FILE` and
//     the admin download write. Blob removal waits while an archive is being
//     written.
//
// The *File variants write a temporary file beside the target, fsync it and
// rename it, so the target only ever holds a complete backup. A backup
// streamed to a slow reader holds its read transaction open for as long as
// it takes to write trellis.db, which delays writers that must grow the
// file; write to a local file first when the reader may be slow.
//
// To restore (`trellis restore FILE --data DIR`): RestoreArchive unpacks the
// archive into an empty directory, checks every blob against its hash, runs
// the consistency check on the store file and checks the records against the
// blobs, and only then puts trellis.db in place; on failure the directory is
// left empty. Then start Trellis on that directory. A plain Backup file is
// restored by copying it to DIR/trellis.db (its datasets need their blobs).
package storage
