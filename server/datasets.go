package server

import (
	"bufio"
	"container/list"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/modules/data"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/storage"
)

// datasetJSON is a dataset as the API shows it.
type datasetJSON struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Created   time.Time   `json:"created"`
	CreatedBy string      `json:"created_by"`
	Latest    versionJSON `json:"latest"`
	// UsedBy lists the workflows that read the dataset (on a single dataset only).
	UsedBy []storage.DatasetUse `json:"used_by,omitempty"`
}

// versionJSON is one version of a dataset.
type versionJSON struct {
	Number  int          `json:"number"`
	Hash    string       `json:"hash"`
	Size    int64        `json:"size"`
	Format  string       `json:"format"`
	Rows    int          `json:"rows"`
	Columns int          `json:"columns"`
	Schema  table.Schema `json:"schema"`
	Created time.Time    `json:"created"`
	Author  string       `json:"author"`
}

func datasetView(d *storage.Dataset) datasetJSON {
	return datasetJSON{ID: d.ID, Name: d.Name, Created: d.Created, CreatedBy: d.CreatedBy, Latest: versionView(&d.Latest)}
}

func versionView(v *storage.DatasetVersion) versionJSON {
	return versionJSON{Number: v.Number, Hash: v.Hash, Size: v.Size, Format: v.Format, Rows: v.Rows,
		Columns: v.Cols, Schema: v.Schema, Created: v.Created, Author: v.Author}
}

func (s *Server) handleDatasetList(c echo.Context) error {
	ds, err := s.store.Datasets()
	if err != nil {
		return err
	}
	out := make([]datasetJSON, len(ds))
	for i, d := range ds {
		out[i] = datasetView(d)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleDatasetGet(c echo.Context) error {
	d, err := s.dataset(c.Param("id"))
	if err != nil {
		return err
	}
	uses, err := s.store.DatasetUsers(d.Name)
	if err != nil {
		return err
	}
	out := datasetView(d)
	out.UsedBy = uses
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleDatasetVersions(c echo.Context) error {
	d, err := s.dataset(c.Param("id"))
	if err != nil {
		return err
	}
	vs, err := s.store.DatasetVersions(d.ID)
	if err != nil {
		return err
	}
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = versionView(v)
	}
	return c.JSON(http.StatusOK, out)
}

// handleDatasetUpload stores a new dataset from a CSV, TSV or JSON upload.
func (s *Server) handleDatasetUpload(c echo.Context) error {
	d, err := s.upload(c, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, datasetView(d))
}

// handleDatasetUploadVersion adds a version to an existing dataset.
func (s *Server) handleDatasetUploadVersion(c echo.Context) error {
	d, err := s.dataset(c.Param("id"))
	if err != nil {
		return err
	}
	if d, err = s.upload(c, d); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, datasetView(d))
}

// upload receives an upload and records it as a new dataset, or as a new
// version of into; a refused upload leaves nothing stored. The API and the
// pages share it.
func (s *Server) upload(c echo.Context, into *storage.Dataset) (*storage.Dataset, error) {
	up, err := s.receiveUpload(c, into)
	if err != nil {
		return nil, err
	}
	var d *storage.Dataset
	if into == nil {
		d, err = s.store.CreateDataset(up.name, currentUser(c).Username, up.version)
	} else {
		d, err = s.store.AddDatasetVersion(into.ID, currentUser(c).Username, up.version)
	}
	if err != nil {
		s.discard(up.version.Hash)
		return nil, err
	}
	s.audit(c, "dataset.upload", d.Name, uploadDetail(&d.Latest))
	return d, nil
}

func uploadDetail(v *storage.DatasetVersion) string {
	return fmt.Sprintf("version %d: %s, %d rows, %d columns, %d bytes", v.Number, v.Format, v.Rows, v.Cols, v.Size)
}

// handleDatasetPreview answers a page of rows with every column's statistics.
func (s *Server) handleDatasetPreview(c echo.Context) error {
	offset, err := intQuery(c, "offset", 0, 0, maxInt)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	d, v, err := s.datasetVersion(c)
	if err != nil {
		return err
	}
	pt, err := s.parsedTable(v)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Dataset string `json:"dataset"`
		Version int    `json:"version"`
		TablePreview
	}{d.ID, v.Number, pageTable(pt.table, pt.columns(), limit, offset)})
}

// handleDatasetStatistics answers the columns' statistics without rows.
func (s *Server) handleDatasetStatistics(c echo.Context) error {
	d, v, err := s.datasetVersion(c)
	if err != nil {
		return err
	}
	pt, err := s.parsedTable(v)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Dataset string          `json:"dataset"`
		Version int             `json:"version"`
		Rows    int             `json:"rows"`
		Columns []ColumnPreview `json:"columns"`
	}{d.ID, v.Number, pt.table.NumRows(), pt.columns()})
}

// handleDatasetDownload streams a version's bytes as uploaded. ServeContent
// answers HEAD, ranges (resumed downloads) and If-None-Match on the content hash.
func (s *Server) handleDatasetDownload(c echo.Context) error {
	d, v, err := s.datasetVersion(c)
	if err != nil {
		return err
	}
	f, err := s.store.OpenBlob(v.Hash)
	if err != nil {
		return err
	}
	defer f.Close()
	h := c.Response().Header()
	ct := formatContentType[v.Format]
	if ct == "" {
		ct = echo.MIMEOctetStream // a version recorded without a format
	}
	h.Set(echo.HeaderContentType, ct)
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(d.Name, v)}))
	h.Set("ETag", `"sha256-`+v.Hash+`"`)
	http.ServeContent(c.Response(), c.Request(), "", v.Created, f)
	return nil
}

func (s *Server) handleDatasetDelete(c echo.Context) error {
	if err := s.deleteDataset(c, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// deleteDataset deletes a dataset (refused while a workflow reads it),
// drops its parsed tables and audits it; the API and the page share it.
func (s *Server) deleteDataset(c echo.Context, idOrName string) error {
	d, err := s.dataset(idOrName)
	if err != nil {
		return err
	}
	vs, err := s.store.DatasetVersions(d.ID)
	if err != nil {
		return err
	}
	if err := s.store.DeleteDataset(d.ID); err != nil {
		return err
	}
	// Free the memory now rather than when the tables age out. Content
	// another dataset shares is only parsed again when next previewed.
	for _, v := range vs {
		s.tables.forget(tableKey(v.Format, v.Hash))
	}
	s.audit(c, "dataset.delete", d.Name, fmt.Sprintf("%d versions", d.Latest.Number))
	return nil
}

// dataset finds a dataset by id or, failing that, by name, so that the
// designer can address a dataset by what an Import Data node names.
func (s *Server) dataset(idOrName string) (*storage.Dataset, error) {
	d, err := s.store.Dataset(idOrName)
	if !errors.Is(err, storage.ErrNotFound) {
		return d, err
	}
	// echo leaves a path parameter escaped when the URL's path has a raw
	// form (RawPath), so the unescaped name is tried as well.
	names := []string{idOrName}
	if u, uerr := url.PathUnescape(idOrName); uerr == nil && u != idOrName {
		names = append(names, u)
	}
	for _, name := range names {
		if byName, nerr := s.store.DatasetByName(name); nerr == nil {
			return byName, nil
		}
	}
	return nil, err
}

// datasetVersion resolves the :id parameter and the version query
// parameter (default the latest).
func (s *Server) datasetVersion(c echo.Context) (*storage.Dataset, *storage.DatasetVersion, error) {
	number, err := intQuery(c, "version", 0, 1, maxInt)
	if err != nil {
		return nil, nil, err
	}
	d, err := s.dataset(c.Param("id"))
	if err != nil {
		return nil, nil, err
	}
	if number == 0 || number == d.Latest.Number {
		return d, &d.Latest, nil
	}
	v, err := s.store.DatasetVersion(d.ID, number)
	return d, v, err
}

const maxInt = int(^uint(0) >> 1)

// intQuery reads an optional integer query parameter within [lo, hi].
func intQuery(c echo.Context, name string, def, lo, hi int) (int, error) {
	q := c.QueryParam(name)
	if q == "" {
		return def, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < lo || n > hi {
		if hi == maxInt {
			return 0, fieldErr(name, "%s must be a whole number of at least %d", name, lo)
		}
		return 0, fieldErr(name, "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

// Uploads.

// upload is a received and checked upload, its blob stored but not yet
// recorded by a dataset version.
type upload struct {
	name    string
	version storage.DatasetVersion
}

// formatContentType is the media type of each format, for downloads.
var formatContentType = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"tsv":  "text/tab-separated-values; charset=utf-8",
	"json": "application/json",
}

// formatOfMediaType maps an upload's Content-Type to a format, "" when it
// does not say (application/octet-stream, text/plain).
func formatOfMediaType(ct string) string {
	mt, _, _ := mime.ParseMediaType(ct)
	switch mt {
	case "text/csv", "application/csv", "text/comma-separated-values":
		return "csv"
	case "text/tab-separated-values":
		return "tsv"
	case "application/json", "application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/ndjson":
		return "json"
	}
	return ""
}

// downloadName is the file name a download is saved under: the dataset's
// name, with the format's extension when the name has none that fits.
func downloadName(name string, v *storage.DatasetVersion) string {
	if v.Format == "" || data.FormatOfName(name) == v.Format {
		return name
	}
	return name + "." + v.Format
}

// receiveUpload streams the request body into the blob store and parses it
// from there to check it and learn its shape. into is the dataset receiving
// a new version, or nil for a new dataset. On success the caller owns the
// blob and must record or discard it; on failure nothing is kept.
//
// The body is a raw file, or multipart/form-data whose "file" part is the
// file (fields "name" and "format" may precede it). Query parameters name
// and format win over everything; the format otherwise comes from the
// Content-Type of the file, then its file name, then the previous version,
// then its first bytes.
func (s *Server) receiveUpload(c echo.Context, into *storage.Dataset) (*upload, error) {
	req := c.Request()
	name, format := strings.TrimSpace(c.QueryParam("name")), c.QueryParam("format")
	// A name in the query is checked before the body is read, so a large
	// file is not sent for nothing to a name that is taken.
	if into == nil && name != "" {
		if err := s.checkNewName(name); err != nil {
			return nil, err
		}
	}
	// body remembers the first error reading the request gave, so that a
	// body over the size limit is told apart from a malformed one whatever
	// wraps the error on the way up.
	body := &stickyReader{r: req.Body}
	queryName := name
	file, filename, fileType, err := uploadFile(req, body, &name, &format)
	if err != nil {
		return nil, uploadErr(body, nil, err)
	}
	format = strings.ToLower(format)
	if format != "" && formatContentType[format] == "" {
		return nil, fieldErr("format", "format %q is not one of csv, tsv, json", format)
	}
	if into == nil && name == "" {
		name = strings.TrimSpace(path.Base(strings.ReplaceAll(filename, `\`, "/")))
		if filename == "" || name == "." || name == "/" || name == "" {
			return nil, fieldErr("name", "name the dataset: add ?name= to the URL, or upload a file with a file name")
		}
	}
	if into == nil && name != queryName {
		if err := s.checkNewName(name); err != nil {
			return nil, err
		}
	}
	switch {
	case format != "":
	case formatOfMediaType(fileType) != "":
		format = formatOfMediaType(fileType)
	case data.FormatOfName(filename) != "":
		format = data.FormatOfName(filename)
	case into != nil:
		format = into.Latest.Format
	}

	if closer, ok := file.(io.Closer); ok {
		defer closer.Close()
	}
	read := &stickyReader{r: file}
	hash, size, err := s.store.PutBlob(read)
	if err != nil {
		return nil, uploadErr(body, read, err)
	}
	up, err := s.checkUpload(hash, size, format)
	if err != nil {
		s.discard(hash)
		return nil, err
	}
	up.name = name
	return up, nil
}

// checkNewName refuses names that a source reference could not name
// unambiguously, and names already taken (before the upload is read, so a
// large file is not sent for nothing).
func (s *Server) checkNewName(name string) error {
	switch {
	case name == "" || name != strings.TrimSpace(name):
		return fieldErr("name", "the dataset name %q is empty or has spaces around it", name)
	case utf8.RuneCountInString(name) > 200:
		return fieldErr("name", "the dataset name is longer than 200 characters")
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return fieldErr("name", "the dataset name holds control characters or invalid UTF-8")
	case strings.ContainsAny(name, `@/\`):
		// "name@2" names a version in an Import Data source, and the name
		// may stand for the id in URLs.
		return fieldErr("name", "the dataset name %q may not contain @, / or \\", name)
	case strings.HasPrefix(name, "$"):
		// "$param" in an Import Data source reads a workflow parameter.
		return fieldErr("name", "the dataset name %q may not start with $", name)
	}
	if _, err := s.store.DatasetByName(name); err == nil {
		return fmt.Errorf("a dataset named %q already exists; upload to it as a new version instead: %w", name, storage.ErrExists)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return nil
}

// uploadFile finds the file in the request: the body itself, or the "file"
// part of a multipart form read as a stream (ParseMultipartForm would
// buffer it). Form fields before the file fill in name and format when
// the query did not.
func uploadFile(req *http.Request, body io.Reader, name, format *string) (file io.Reader, filename, fileType string, err error) {
	ct := req.Header.Get(echo.HeaderContentType)
	mt, params, _ := mime.ParseMediaType(ct)
	if mt != "multipart/form-data" {
		if _, p, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentDisposition)); err == nil {
			filename = p["filename"]
		}
		return body, filename, ct, nil
	}
	if req.MultipartForm != nil {
		return parsedFormFile(req.MultipartForm, name, format)
	}
	if params["boundary"] == "" {
		return nil, "", "", errf(http.StatusBadRequest, CodeBadRequest, "the multipart body has no boundary in its Content-Type")
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", "", fieldErr("file", "the form has no part named \"file\" holding the data")
		}
		if err != nil {
			return nil, "", "", err
		}
		var dst *string
		switch part.FormName() {
		case "file":
			return part, part.FileName(), part.Header.Get(echo.HeaderContentType), nil
		case "name":
			dst = name
		case "format":
			dst = format
		default:
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, 1024))
		if err != nil {
			return nil, "", "", err
		}
		if *dst == "" {
			*dst = strings.TrimSpace(string(v))
		}
	}
}

// parsedFormFile takes the file from a form that was parsed before the
// handler ran: the CSRF check reads the form when a legacy client sends
// its token as the _csrf field instead of the header.
func parsedFormFile(form *multipart.Form, name, format *string) (io.Reader, string, string, error) {
	if v := form.Value["name"]; *name == "" && len(v) > 0 {
		*name = strings.TrimSpace(v[0])
	}
	if v := form.Value["format"]; *format == "" && len(v) > 0 {
		*format = strings.TrimSpace(v[0])
	}
	fhs := form.File["file"]
	if len(fhs) == 0 {
		return nil, "", "", fieldErr("file", "the form has no part named \"file\" holding the data")
	}
	f, err := fhs[0].Open()
	if err != nil {
		return nil, "", "", err
	}
	// The parsed form's files are removed when the request ends.
	return f, fhs[0].Filename, fhs[0].Header.Get(echo.HeaderContentType), nil
}

// uploadErr classifies a failure to receive the upload. body has seen every
// read of the request; read is nil when the failure happened before the
// file was being read, or holds what reading the file gave. A body over the
// size limit is 413; any other failure of the request — cut short,
// malformed multipart — is 400; a failure writing to our own disk stays a
// server error.
func uploadErr(body, read *stickyReader, err error) error {
	var mbe *http.MaxBytesError
	var ae *Error
	switch {
	case errors.As(body.err, &mbe):
		return mbe
	case errors.As(err, &ae):
		return err
	case body.err != nil:
		return errf(http.StatusBadRequest, CodeBadRequest, "the upload was cut short: %v", body.err)
	case read == nil || read.err != nil:
		return errf(http.StatusBadRequest, CodeBadRequest, "malformed upload: %v", err)
	}
	return err
}

// stickyReader passes reads through and keeps the first error other than EOF.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// checkUpload parses a stored blob in its format (sniffed when unknown) and
// describes the dataset version it would be. A parse failure is the
// uploader's fault and names the line or record and the column at fault.
func (s *Server) checkUpload(hash string, size int64, format string) (*upload, error) {
	if size == 0 {
		return nil, errf(http.StatusBadRequest, CodeInvalidData, "the upload is empty")
	}
	f, err := s.store.OpenBlob(hash)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	file := &stickyReader{r: f}
	br := bufio.NewReaderSize(file, 64<<10)
	if format == "" {
		head, _ := br.Peek(64 << 10)
		format = data.Sniff(head)
	}
	t, err := parseTable(br, format, size)
	if file.err != nil {
		return nil, fmt.Errorf("read stored upload %s: %w", hash, file.err)
	}
	if err != nil {
		return nil, dataErr(format, err)
	}
	if t.NumCols() == 0 {
		return nil, errf(http.StatusBadRequest, CodeInvalidData, "the %s file has no columns", format)
	}
	// The designer previews a new upload straight away: keep its table.
	s.tables.add(tableKey(format, hash), size, t)
	return &upload{version: storage.DatasetVersion{Hash: hash, Format: format, Rows: t.NumRows(), Cols: t.NumCols(), Schema: t.Schema()}}, nil
}

// dataErr makes a parse error the API's invalid_data, with the column at
// fault as the field when the parser knows it.
func dataErr(format string, err error) error {
	e := errf(http.StatusBadRequest, CodeInvalidData, "the file is not valid %s: %v", strings.ToUpper(format), err)
	var ce *table.CSVError
	if errors.As(err, &ce) {
		e.Field = ce.Column
		if e.Field == "" && ce.ColumnNum > 0 {
			e.Field = "column " + strconv.Itoa(ce.ColumnNum)
		}
	}
	return e
}

// parseTable reads a dataset's bytes with Import Data's defaults (a header
// row, the default missing-value tokens, inferred types), so what an upload
// reports is what a workflow will read.
func parseTable(r io.Reader, format string, size int64) (*table.Table, error) {
	switch format {
	case "json":
		return table.ReadJSON(r, table.JSONOptions{})
	case "tsv":
		return table.ReadCSV(r, table.CSVOptions{Delimiter: '\t', SizeHint: size})
	}
	return table.ReadCSV(r, table.CSVOptions{SizeHint: size})
}

// discard gives up a blob no version recorded. A failure only leaves a file
// for the next start to remove, so it is logged, not returned.
func (s *Server) discard(hash string) {
	if err := s.store.DiscardBlob(hash); err != nil {
		s.log.Warn("discard upload", "hash", hash, "error", err)
	}
}

// Parsed tables.

// parsedTable returns the table of a dataset version, parsed once and kept
// while recently used.
func (s *Server) parsedTable(v *storage.DatasetVersion) (*cachedTable, error) {
	return s.tables.get(tableKey(v.Format, v.Hash), v.Size, func() (*table.Table, error) {
		f, err := s.store.OpenBlob(v.Hash)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		t, err := parseTable(f, v.Format, v.Size)
		if err != nil {
			// Stored versions were checked at upload; failing now means the
			// parser changed, which is ours to fix, not the caller's.
			return nil, fmt.Errorf("dataset %s version %d no longer parses: %w", v.DatasetID, v.Number, err)
		}
		return t, nil
	})
}

func tableKey(format, hash string) string { return format + ":" + hash }

// tables caches parsed dataset tables process-wide. Being keyed by content
// hash and format, an entry is right for any store, so one cache serves every
// Server; it belongs in Server once server.go has a field for it.

// tableCache is a small LRU of parsed tables, bounded by entry count and by
// an estimate of memory (twice the file size: a parsed table is roughly
// as big as its text, plus slack for string headers).
type tableCache struct {
	mu         sync.Mutex
	maxCost    int64
	maxEntries int
	cost       int64
	order      *list.List // of *cachedTable, most recently used first
	byKey      map[string]*list.Element
}

// cachedTable is a parsed table and, computed on first use, its column statistics.
type cachedTable struct {
	key   string
	cost  int64
	load  sync.Once
	table *table.Table
	err   error

	stats sync.Once
	cols  []ColumnPreview
}

// columns returns the table's columns with statistics, computed once.
func (ct *cachedTable) columns() []ColumnPreview {
	ct.stats.Do(func() { ct.cols = tableColumns(ct.table) })
	return ct.cols
}

func newTableCache(maxCost int64, maxEntries int) *tableCache {
	return &tableCache{maxCost: maxCost, maxEntries: maxEntries, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns the entry for key, loading it once however many requests ask
// at the same time. Failures are not kept.
func (tc *tableCache) get(key string, size int64, load func() (*table.Table, error)) (*cachedTable, error) {
	tc.mu.Lock()
	ct := tc.lookup(key)
	if ct == nil {
		ct = &cachedTable{key: key, cost: 2 * size}
		tc.insert(ct)
	}
	tc.mu.Unlock()
	ct.load.Do(func() { ct.table, ct.err = load() })
	if ct.err != nil {
		tc.remove(ct)
		return nil, ct.err
	}
	return ct, nil
}

// add keeps a table parsed elsewhere (a checked upload).
func (tc *tableCache) add(key string, size int64, t *table.Table) {
	ct := &cachedTable{key: key, cost: 2 * size, table: t}
	ct.load.Do(func() {})
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.lookup(key) == nil {
		tc.insert(ct)
	}
}

func (tc *tableCache) lookup(key string) *cachedTable {
	e, ok := tc.byKey[key]
	if !ok {
		return nil
	}
	tc.order.MoveToFront(e)
	return e.Value.(*cachedTable)
}

// insert adds an entry and evicts the least recently used beyond the
// bounds. A table bigger than the whole budget is still returned to its
// callers, just not kept.
func (tc *tableCache) insert(ct *cachedTable) {
	tc.byKey[ct.key] = tc.order.PushFront(ct)
	tc.cost += ct.cost
	for tc.order.Len() > 0 && (tc.cost > tc.maxCost || tc.order.Len() > tc.maxEntries) {
		tc.drop(tc.order.Back())
	}
}

// forget drops the entry for key, if any.
func (tc *tableCache) forget(key string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if e, ok := tc.byKey[key]; ok {
		tc.drop(e)
	}
}

// remove drops ct, unless another entry has replaced it since.
func (tc *tableCache) remove(ct *cachedTable) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if e, ok := tc.byKey[ct.key]; ok && e.Value == ct {
		tc.drop(e)
	}
}

func (tc *tableCache) drop(e *list.Element) {
	ct := tc.order.Remove(e).(*cachedTable)
	delete(tc.byKey, ct.key)
	tc.cost -= ct.cost
}
