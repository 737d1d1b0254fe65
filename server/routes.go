package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// route is one entry of the URL surface with its explicit access decision.
type route struct {
	method, path string
	access       access
	handler      echo.HandlerFunc
	// upload routes take large streamed bodies instead of JSON.
	upload bool
}

// routeTable is the whole URL surface of the server, grouped by resource.
// Every route states who may call it; a test fails when a route is
// registered without an entry here.
func (s *Server) routeTable() []route {
	const api = "/api/v1"
	return []route{
		// Operations.
		{http.MethodGet, "/healthz", public, s.handleHealth, false},
		{http.MethodGet, "/readyz", public, s.handleReady, false},
		{http.MethodGet, "/metrics", admin, s.metrics.handler(), false},

		// Sessions and the caller's own account.
		{http.MethodGet, api + "/login", public, s.handleLoginInfo, false},
		{http.MethodPost, api + "/login", public, s.handleLogin, false},
		{http.MethodPost, api + "/logout", public, s.handleLogout, false},
		{http.MethodGet, api + "/me", viewer, s.handleMe, false},
		{http.MethodPost, api + "/me/password", viewer, s.handleMePassword, false},
		{http.MethodGet, api + "/me/tokens", viewer, s.handleTokenList, false},
		{http.MethodPost, api + "/me/tokens", viewer, s.handleTokenCreate, false},
		{http.MethodDelete, api + "/me/tokens/:id", viewer, s.handleTokenRevoke, false},

		// Module library.
		{http.MethodGet, api + "/modules", viewer, s.handleModuleList, false},
		{http.MethodGet, api + "/modules/:id", viewer, s.handleModuleGet, false},

		// Datasets.
		{http.MethodGet, api + "/datasets", viewer, s.handleDatasetList, false},
		{http.MethodPost, api + "/datasets", author, s.handleDatasetUpload, true},
		{http.MethodGet, api + "/datasets/:id", viewer, s.handleDatasetGet, false},
		{http.MethodDelete, api + "/datasets/:id", author, s.handleDatasetDelete, false},
		{http.MethodGet, api + "/datasets/:id/versions", viewer, s.handleDatasetVersions, false},
		{http.MethodPost, api + "/datasets/:id/versions", author, s.handleDatasetUploadVersion, true},
		{http.MethodGet, api + "/datasets/:id/preview", viewer, s.handleDatasetPreview, false},
		{http.MethodGet, api + "/datasets/:id/statistics", viewer, s.handleDatasetStatistics, false},
		{http.MethodGet, api + "/datasets/:id/download", viewer, s.handleDatasetDownload, false},

		// Workflows.
		{http.MethodGet, api + "/workflows", viewer, s.handleWorkflowList, false},
		{http.MethodPost, api + "/workflows", author, s.handleWorkflowCreate, false},
		{http.MethodPost, api + "/workflows/import", author, s.handleWorkflowImport, false},
		{http.MethodPost, api + "/validate", author, s.handleValidateDocument, false},
		{http.MethodGet, api + "/workflows/:id", viewer, s.handleWorkflowGet, false},
		{http.MethodPut, api + "/workflows/:id", author, s.handleWorkflowSave, false},
		{http.MethodDelete, api + "/workflows/:id", author, s.handleWorkflowDelete, false},
		{http.MethodPost, api + "/workflows/:id/duplicate", author, s.handleWorkflowDuplicate, false},
		{http.MethodGet, api + "/workflows/:id/export", viewer, s.handleWorkflowExport, false},
		{http.MethodGet, api + "/workflows/:id/validate", viewer, s.handleWorkflowValidate, false},
		{http.MethodGet, api + "/workflows/:id/revisions", viewer, s.handleRevisionList, false},
		{http.MethodGet, api + "/workflows/:id/revisions/:rev", viewer, s.handleRevisionGet, false},
		{http.MethodGet, api + "/workflows/:id/diff", viewer, s.handleWorkflowDiff, false},

		// Runs.
		{http.MethodGet, api + "/workflows/:id/runs", viewer, s.handleRunList, false},
		{http.MethodPost, api + "/workflows/:id/runs", author, s.handleRunStart, false},
		{http.MethodGet, api + "/runs/:id", viewer, s.handleRunGet, false},
		{http.MethodPost, api + "/runs/:id/cancel", author, s.handleRunCancel, false},
		{http.MethodGet, api + "/runs/:id/events", viewer, s.handleRunEvents, false},
		{http.MethodGet, api + "/runs/:id/nodes/:node/logs", viewer, s.handleRunNodeLogs, false},
		{http.MethodGet, api + "/runs/:id/nodes/:node/outputs/:port", viewer, s.handleRunOutputPreview, false},
		{http.MethodGet, api + "/runs/:id/nodes/:node/outputs/:port/download", viewer, s.handleRunOutputDownload, false},

		// Administration.
		{http.MethodGet, api + "/users", admin, s.handleUserList, false},
		{http.MethodPost, api + "/users", admin, s.handleUserCreate, false},
		{http.MethodPatch, api + "/users/:id", admin, s.handleUserUpdate, false},
		{http.MethodGet, api + "/audit", admin, s.handleAuditList, false},
		{http.MethodGet, api + "/admin/backup", admin, s.handleBackup, false},
	}
}

func (s *Server) routes() {
	e := s.echo
	e.Pre(middleware.RemoveTrailingSlash())
	e.Use(middleware.Recover(), s.metrics.middleware, s.securityHeaders, s.checkHost, s.drain, s.requestLog, s.authenticate)
	csrf := s.csrf()
	for _, r := range s.routeTable() {
		limit := bodyLimit(s.cfg.MaxBodyBytes)
		if r.upload {
			limit = bodyLimit(s.cfg.MaxUploadBytes)
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
