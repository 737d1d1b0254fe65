package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/web"
	"github.com/trellis-studio/trellis/workflow"
)

// handleDesignerPage opens a workflow in the designer: the frame and the
// palette are rendered here from the module specs; the designer script
// draws the workflow from the JSON API.
func (s *Server) handleDesignerPage(c echo.Context) error {
	w, err := s.store.Workflow(c.Param("id"))
	if err != nil {
		return err
	}
	p := s.page(c, w.Name, web.NavWorkflows)
	p.Wide = true
	p.Scripts = []string{"dist/designer.js"}
	p.Styles = []string{"css/designer.css"}
	d := web.Designer{ID: w.ID, Name: w.Name, Revision: w.Revision, CanEdit: canEdit(c), Palette: paletteView(s.registry.ByCategory())}
	return s.render(c, http.StatusOK, web.DesignerPage(p, d))
}

// paletteView maps the module library to the palette's view model.
func paletteView(groups []modules.CategoryGroup) []web.PaletteCategory {
	out := make([]web.PaletteCategory, len(groups))
	for i, g := range groups {
		out[i].Name = g.Category
		for _, sp := range g.Specs {
			m := web.PaletteModule{ID: sp.ID, Version: sp.Version, Name: sp.Name, Summary: sp.Summary}
			for _, p := range sp.Inputs {
				m.Inputs = append(m.Inputs, string(p.Kind))
			}
			for _, p := range sp.Outputs {
				m.Outputs = append(m.Outputs, string(p.Kind))
			}
			out[i].Modules = append(out[i].Modules, m)
		}
	}
	return out
}

// handleOutputStatisticsFragment answers the column statistics of a table
// output of a run as an HTML fragment — a card per column with its
// histogram or bar chart drawn as SVG here — for the designer's output panel.
func (s *Server) handleOutputStatisticsFragment(c echo.Context) error {
	ref := workflow.PortRef{Node: c.Param("node"), Port: c.Param("port")}
	cols, err := s.outputColumns(c.Param("id"), ref)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, web.ColumnCards(columnViews(cols)))
}

// outputColumns returns the columns with statistics of a table output: from
// memory for a recent run, else from the preview stored with the run.
func (s *Server) outputColumns(runID string, ref workflow.PortRef) ([]ColumnPreview, error) {
	if lr := s.runs.get(runID); lr != nil {
		v, _, err := lr.output(ref)
		if err != nil {
			return nil, err
		}
		t, ok := v.(*table.Table)
		if !ok {
			return nil, errf(http.StatusNotFound, CodeNotFound, "output %s of run %s is not a table", ref, runID)
		}
		return lr.tableColumns(ref, t), nil
	}
	out, err := s.storedOutput(runID, ref)
	if err != nil {
		return nil, err
	}
	if out.Table == nil {
		return nil, errf(http.StatusNotFound, CodeNotFound, "output %s of run %s is not a table", ref, runID)
	}
	return out.Table.Columns, nil
}
