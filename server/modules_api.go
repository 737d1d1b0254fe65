package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/modules"
)

func (s *Server) handleModuleList(c echo.Context) error {
	type group struct {
		Category string         `json:"category"`
		Modules  []modules.Spec `json:"modules"`
	}
	var out []group
	for _, g := range s.registry.ByCategory() {
		out = append(out, group{Category: g.Category, Modules: g.Specs})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleModuleGet(c echo.Context) error {
	version := 0
	if v := c.QueryParam("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fieldErr("version", "version must be a positive number")
		}
		version = n
	}
	m, err := s.registry.Lookup(c.Param("id"), version)
	if err != nil {
		return errf(http.StatusNotFound, CodeNotFound, "%v", err)
	}
	return c.JSON(http.StatusOK, modules.SpecOf(m))
}
