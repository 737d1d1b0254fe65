package server

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"

	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// Sample is the dataset and workflow a new install starts with.
type Sample struct {
	DatasetName string
	CSV         []byte
	Workflows   [][]byte // workflow documents whose Import Data nodes read DatasetName
}

// FirstRun is what Bootstrap did on an empty store.
type FirstRun struct {
	AdminName string
	// Password is set when it was generated; it is shown once and kept in
	// PasswordFile (mode 0600) for installs whose output nobody reads.
	Password     string
	PasswordFile string
}

// Bootstrap prepares an empty store: an admin account (password from
// TRELLIS_ADMIN_PASSWORD or generated), the sample dataset and workflow.
// On a store that has users it does nothing and returns nil.
func Bootstrap(st *storage.Store, sample Sample) (*FirstRun, error) {
	users, err := st.Users()
	if err != nil {
		return nil, err
	}
	if len(users) > 0 {
		return nil, nil
	}
	fr := &FirstRun{AdminName: "admin"}
	password := os.Getenv("TRELLIS_ADMIN_PASSWORD")
	if password == "" {
		password = generatePassword()
		fr.Password = password
		fr.PasswordFile = filepath.Join(st.Dir(), "initial-admin-password")
		if err := os.WriteFile(fr.PasswordFile, []byte(password+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write the initial admin password: %w", err)
		}
	}
	if _, err := CreateUser(st, fr.AdminName, password, storage.RoleAdmin); err != nil {
		return nil, fmt.Errorf("create the first admin: %w", err)
	}
	if sample.CSV != nil {
		if err := addSample(st, sample, fr.AdminName); err != nil {
			return nil, fmt.Errorf("load the sample: %w", err)
		}
	}
	if _, err := st.AppendAudit(storage.AuditEntry{Actor: "system", Action: "install", Target: fr.AdminName, Detail: "first run: admin account and sample created"}); err != nil {
		return nil, err
	}
	return fr, nil
}

func addSample(st *storage.Store, sample Sample, author string) error {
	t, err := table.ReadCSV(bytes.NewReader(sample.CSV), table.CSVOptions{})
	if err != nil {
		return fmt.Errorf("sample dataset: %w", err)
	}
	hash, _, err := st.PutBlob(bytes.NewReader(sample.CSV))
	if err != nil {
		return err
	}
	if _, err := st.CreateDataset(sample.DatasetName, author, storage.DatasetVersion{
		Hash: hash, Format: "csv", Rows: t.NumRows(), Cols: t.NumCols(), Schema: t.Schema(),
	}); err != nil && !errors.Is(err, storage.ErrExists) {
		return err
	}
	for _, w := range sample.Workflows {
		doc, err := workflow.Parse(bytes.NewReader(w))
		if err != nil {
			return fmt.Errorf("sample workflow: %w", err)
		}
		if _, err := st.CreateWorkflow(doc, author); err != nil {
			return err
		}
	}
	return nil
}

// generatePassword returns 20 characters from an alphabet without look-alikes.
func generatePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}
