package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/trellis-studio/trellis/static"
)

// route is one entry of the URL surface with its explicit access decision.
type route struct {
	method, path string
	access       access
	handler      echo.HandlerFunc
	kind         routeKind
}

// routeKind says what a route takes and answers, which decides its body
// limit and how its errors are shown.
type routeKind int

const (
	apiRoute   routeKind = iota // JSON (or a download) in the API's error shape
	apiUpload                   // an API route taking a large streamed body
	pageRoute                   // an HTML page or form: errors are pages, no session is a redirect to /login
	pageUpload                  // a page's form posting a large file
)

func (k routeKind) upload() bool { return k == apiUpload || k == pageUpload }
func (k routeKind) page() bool   { return k == pageRoute || k == pageUpload }

// routeTable is the whole URL surface of the server, grouped by resource.
// Every route states who may call it; a test fails when a route is
// registered without an entry here.
func (s *Server) routeTable() []route {
	const api = "/api/v1"
	return []route{
		// Operations.
		{http.MethodGet, "/healthz", public, s.handleHealth, apiRoute},
		{http.MethodGet, "/readyz", public, s.handleReady, apiRoute},
		{http.MethodGet, "/metrics", admin, s.metrics.handler(), apiRoute},

		// Sessions and the caller's own account.
		{http.MethodGet, api + "/login", public, s.handleLoginInfo, apiRoute},
		{http.MethodPost, api + "/login", public, s.handleLogin, apiRoute},
		{http.MethodPost, api + "/logout", public, s.handleLogout, apiRoute},
		{http.MethodGet, api + "/me", viewer, s.handleMe, apiRoute},
		{http.MethodPost, api + "/me/password", viewer, s.handleMePassword, apiRoute},
		{http.MethodGet, api + "/me/tokens", viewer, s.handleTokenList, apiRoute},
		{http.MethodPost, api + "/me/tokens", viewer, s.handleTokenCreate, apiRoute},
		{http.MethodDelete, api + "/me/tokens/:id", viewer, s.handleTokenRevoke, apiRoute},

		// Module library.
		{http.MethodGet, api + "/modules", viewer, s.handleModuleList, apiRoute},
		{http.MethodGet, api + "/modules/:id", viewer, s.handleModuleGet, apiRoute},

		// Datasets.
		{http.MethodGet, api + "/datasets", viewer, s.handleDatasetList, apiRoute},
		{http.MethodPost, api + "/datasets", author, s.handleDatasetUpload, apiUpload},
		{http.MethodGet, api + "/datasets/:id", viewer, s.handleDatasetGet, apiRoute},
		{http.MethodDelete, api + "/datasets/:id", author, s.handleDatasetDelete, apiRoute},
		{http.MethodGet, api + "/datasets/:id/versions", viewer, s.handleDatasetVersions, apiRoute},
		{http.MethodPost, api + "/datasets/:id/versions", author, s.handleDatasetUploadVersion, apiUpload},
		{http.MethodGet, api + "/datasets/:id/preview", viewer, s.handleDatasetPreview, apiRoute},
		{http.MethodGet, api + "/datasets/:id/statistics", viewer, s.handleDatasetStatistics, apiRoute},
		{http.MethodGet, api + "/datasets/:id/download", viewer, s.handleDatasetDownload, apiRoute},

		// Workflows.
		{http.MethodGet, api + "/workflows", viewer, s.handleWorkflowList, apiRoute},
		{http.MethodPost, api + "/workflows", author, s.handleWorkflowCreate, apiRoute},
		{http.MethodPost, api + "/workflows/import", author, s.handleWorkflowImport, apiRoute},
		{http.MethodPost, api + "/validate", author, s.handleValidateDocument, apiRoute},
		{http.MethodGet, api + "/workflows/:id", viewer, s.handleWorkflowGet, apiRoute},
		{http.MethodPut, api + "/workflows/:id", author, s.handleWorkflowSave, apiRoute},
		{http.MethodDelete, api + "/workflows/:id", author, s.handleWorkflowDelete, apiRoute},
		{http.MethodPost, api + "/workflows/:id/duplicate", author, s.handleWorkflowDuplicate, apiRoute},
		{http.MethodGet, api + "/workflows/:id/export", viewer, s.handleWorkflowExport, apiRoute},
		{http.MethodGet, api + "/workflows/:id/validate", viewer, s.handleWorkflowValidate, apiRoute},
		{http.MethodGet, api + "/workflows/:id/revisions", viewer, s.handleRevisionList, apiRoute},
		{http.MethodGet, api + "/workflows/:id/revisions/:rev", viewer, s.handleRevisionGet, apiRoute},
		{http.MethodGet, api + "/workflows/:id/diff", viewer, s.handleWorkflowDiff, apiRoute},

		// Runs.
		{http.MethodGet, api + "/workflows/:id/runs", viewer, s.handleRunList, apiRoute},
		{http.MethodPost, api + "/workflows/:id/runs", author, s.handleRunStart, apiRoute},
		{http.MethodGet, api + "/runs/:id", viewer, s.handleRunGet, apiRoute},
		{http.MethodPost, api + "/runs/:id/cancel", author, s.handleRunCancel, apiRoute},
		{http.MethodGet, api + "/runs/:id/events", viewer, s.handleRunEvents, apiRoute},
		{http.MethodGet, api + "/runs/:id/nodes/:node/logs", viewer, s.handleRunNodeLogs, apiRoute},
		{http.MethodGet, api + "/runs/:id/nodes/:node/outputs/:port", viewer, s.handleRunOutputPreview, apiRoute},
		{http.MethodGet, api + "/runs/:id/nodes/:node/outputs/:port/download", viewer, s.handleRunOutputDownload, apiRoute},

		// Administration.
		{http.MethodGet, api + "/users", admin, s.handleUserList, apiRoute},
		{http.MethodPost, api + "/users", admin, s.handleUserCreate, apiRoute},
		{http.MethodPatch, api + "/users/:id", admin, s.handleUserUpdate, apiRoute},
		{http.MethodGet, api + "/audit", admin, s.handleAuditList, apiRoute},
		{http.MethodGet, api + "/admin/backup", admin, s.handleBackup, apiRoute},

		// Pages (server-rendered HTML; see pages.go) and their assets.
		{http.MethodGet, "/static/*", public, echo.WrapHandler(static.Handler()), apiRoute},
		{http.MethodGet, "/", public, s.handleHomePage, pageRoute},
		{http.MethodGet, "/login", public, s.handleLoginPage, pageRoute},
		{http.MethodPost, "/login", public, s.handleLoginSubmit, pageRoute},
		{http.MethodPost, "/logout", public, s.handleLogoutSubmit, pageRoute},
		{http.MethodGet, "/workflows", viewer, s.handleWorkflowsPage, pageRoute},
		{http.MethodPost, "/workflows", author, s.handleWorkflowCreateSubmit, pageRoute},
		{http.MethodGet, "/workflows/:id", viewer, s.handleDesignerPage, pageRoute},
		{http.MethodGet, "/runs/:id/nodes/:node/outputs/:port/statistics", viewer, s.handleOutputStatisticsFragment, pageRoute},
		{http.MethodGet, "/workflows/:id/runs", viewer, s.handleRunsPage, pageRoute},
		{http.MethodPost, "/workflows/:id/duplicate", author, s.handleWorkflowDuplicateSubmit, pageRoute},
		{http.MethodPost, "/workflows/:id/delete", author, s.handleWorkflowDeleteSubmit, pageRoute},
		{http.MethodGet, "/datasets", viewer, s.handleDatasetsPage, pageRoute},
		{http.MethodPost, "/datasets", author, s.handleDatasetUploadSubmit, pageUpload},
		{http.MethodGet, "/datasets/:id", viewer, s.handleDatasetPage, pageRoute},
		{http.MethodPost, "/datasets/:id/versions", author, s.handleDatasetVersionSubmit, pageUpload},
		{http.MethodPost, "/datasets/:id/delete", author, s.handleDatasetDeleteSubmit, pageRoute},
		{http.MethodGet, "/account", viewer, s.handleAccountPage, pageRoute},
		{http.MethodPost, "/account/password", viewer, s.handlePasswordSubmit, pageRoute},
		{http.MethodPost, "/account/tokens", viewer, s.handleTokenCreateSubmit, pageRoute},
		{http.MethodPost, "/account/tokens/:id/revoke", viewer, s.handleTokenRevokeSubmit, pageRoute},
	}
}

func (s *Server) routes() {
	e := s.echo
	e.Pre(middleware.RemoveTrailingSlash())
	e.Use(middleware.Recover(), s.metrics.middleware, s.securityHeaders, s.checkHost, s.drain, s.requestLog, s.authenticate)
	csrf := s.csrf()
	for _, r := range s.routeTable() {
		limit := bodyLimit(s.cfg.MaxBodyBytes)
		if r.kind.upload() {
			limit = bodyLimit(s.cfg.MaxUploadBytes)
		}
		if r.kind.page() {
			e.Add(r.method, r.path, r.handler, markPage, limit, csrf, require(r.access))
			continue
		}
		e.Add(r.method, r.path, r.handler, limit, csrf, require(r.access))
	}
}

// requestLog logs each request once, after it is answered.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		status := c.Response().Status
		if err != nil {
			status = classify(err).Status
		}
		s.log.Debug("request", "method", c.Request().Method, "path", c.Path(), "status", status)
		return err
	}
}

func (s *Server) handleHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReady(c echo.Context) error {
	if s.draining.Load() {
		return errf(http.StatusServiceUnavailable, CodeUnavailable, "shutting down")
	}
	if _, err := s.store.Users(); err != nil {
		return errf(http.StatusServiceUnavailable, CodeUnavailable, "store is not readable: %v", err)
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
