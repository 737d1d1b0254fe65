// Package data holds the data input modules — Import Data and Enter Data
// Manually — and FileResources, the files-on-disk data source for headless runs.
package data

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// FileResources serves files on disk as data sources, for headless runs.
// A relative reference is resolved against Dir; an absolute one is used as is.
type FileResources struct {
	Dir string
}

var _ modules.Resources = FileResources{}

func (r FileResources) path(ref string) (string, error) {
	if strings.TrimSpace(ref) == "" {
		return "", errors.New("no file named: the data source is empty")
	}
	if !filepath.IsAbs(ref) {
		ref = filepath.Join(r.Dir, ref)
	}
	return filepath.Abs(ref)
}

// Open implements modules.Resources.
func (r FileResources) Open(ctx context.Context, ref string) (io.ReadCloser, modules.Source, error) {
	p, err := r.path(ref)
	if err != nil {
		return nil, modules.Source{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, modules.Source{}, err
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = fmt.Errorf("%s is a folder, not a data file", p)
	}
	if err != nil {
		f.Close()
		return nil, modules.Source{}, err
	}
	return f, fileSource(p, fi), nil
}

// Stat implements modules.Resources. The fingerprint is the size, the
// modification time in nanoseconds and the path, so an edited or replaced
// file is read again.
func (r FileResources) Stat(ctx context.Context, ref string) (modules.Source, error) {
	p, err := r.path(ref)
	if err != nil {
		return modules.Source{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return modules.Source{}, err
	}
	if fi.IsDir() {
		return modules.Source{}, fmt.Errorf("%s is a folder, not a data file", p)
	}
	return fileSource(p, fi), nil
}

func fileSource(p string, fi os.FileInfo) modules.Source {
	return modules.Source{
		Name:        filepath.Base(p),
		Format:      FormatOfName(p),
		Size:        fi.Size(),
		Fingerprint: fmt.Sprintf("%d:%d:%s", fi.Size(), fi.ModTime().UnixNano(), p),
	}
}

// FormatOfName maps a file name's extension to a format (csv, tsv, json), ""
// when it says nothing. The server uses it for uploads, so an upload and an
// Import Data node agree on what a file is.
func FormatOfName(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return "csv"
	case ".tsv", ".tab":
		return "tsv"
	case ".json", ".jsonl", ".ndjson":
		return "json"
	}
	return ""
}

// Sniff guesses the format from the first bytes: JSON starts with [ or {,
// and a first line with more tabs than commas is TSV.
func Sniff(head []byte) string {
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		return "json"
	}
	line, _, _ := bytes.Cut(head, []byte{'\n'})
	if bytes.Count(line, []byte{'\t'}) > bytes.Count(line, []byte{','}) {
		return "tsv"
	}
	return "csv"
}

// textOptions are the parameters shared by the modules that read text.
type textOptions struct {
	format string // csv, tsv or json
	csv    table.CSVOptions
	json   table.JSONOptions
}

// parseDelimiter reads the delimiter parameter: one character, or \t or "tab".
func parseDelimiter(s string) (rune, error) {
	switch s {
	case "":
		return 0, nil
	case `\t`, "tab", "TAB", "\t":
		return '\t', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) {
		return 0, fmt.Errorf("%q is not one character (write \\t for a tab)", s)
	}
	if r >= utf8.RuneSelf || r == '"' || r == '\r' || r == '\n' {
		return 0, fmt.Errorf("%q cannot separate fields: use a single ASCII character other than a quote", s)
	}
	return r, nil
}

// parseMissing splits the comma-separated missing-value tokens.
func parseMissing(s string) []string {
	toks := []string{}
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			toks = append(toks, t)
		}
	}
	return toks
}

// ParseSchema reads a schema override written as "name:type, name:type",
// e.g. "age:int, joined:timestamp, city:string". Types are those
// table.ParseType reads.
func ParseSchema(s string) (table.Schema, error) {
	var out table.Schema
	for k, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		i := strings.LastIndexByte(entry, ':')
		if i < 0 {
			return nil, fmt.Errorf("entry %d %q: want name:type, e.g. age:int", k+1, entry)
		}
		name := strings.TrimSpace(entry[:i])
		if name == "" {
			return nil, fmt.Errorf("entry %d %q: the column name is empty", k+1, entry)
		}
		t, err := table.ParseType(entry[i+1:])
		if err != nil {
			return nil, fmt.Errorf("entry %d %q: %v", k+1, entry, err)
		}
		out = append(out, table.Field{Name: name, Type: t})
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

// readText parses r in the chosen format; format "auto" is decided by the
// hint (a source's format or file name) and then by sniffing the first bytes.
func readText(r io.Reader, o textOptions, hint string) (*table.Table, error) {
	format := o.format
	if format == "auto" || format == "" {
		format = hint
	}
	if format == "" {
		br := bufio.NewReaderSize(r, 64<<10)
		head, _ := br.Peek(64 << 10)
		format = Sniff(head)
		r = br
	}
	switch format {
	case "json":
		return table.ReadJSON(r, o.json)
	case "tsv":
		if o.csv.Delimiter == 0 {
			o.csv.Delimiter = '\t'
		}
	}
	return table.ReadCSV(r, o.csv)
}

// ctxReader stops reading when the run is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func formatChoices(auto bool) []modules.Choice {
	var out []modules.Choice
	if auto {
		out = append(out, modules.Choice{Value: "auto", Label: "Automatic", Help: "From the data source's type or file extension, else from its first bytes."})
	}
	return append(out,
		modules.Choice{Value: "csv", Label: "CSV", Help: "Comma-separated values (RFC 4180)."},
		modules.Choice{Value: "tsv", Label: "TSV", Help: "Tab-separated values."},
		modules.Choice{Value: "json", Label: "JSON", Help: "An array of records, or one record per line (JSON Lines)."},
	)
}
