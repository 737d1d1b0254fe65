package ml

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// filterRef holds |Pearson r|, |Spearman ρ|, mutual information (nats) and
// the chi-squared statistic of each column against the target, from scipy
// 1.10.1 and scikit-learn 1.2.1:
//
//	abs(pearsonr(x, y)[0]), abs(spearmanr(x, y)[0]),
//	mutual_info_score(disc(x), disc(y)),
//	chi2_contingency(pd.crosstab(disc(x), disc(y)), correction=False)[0]
//
// where disc codes a column by distinct value when it has at most 10, and
// otherwise as np.searchsorted(np.unique(np.quantile(x, np.arange(1, 10) / 10)), x);
// iris species are coded 0, 1, 2 in sorted order.
var filterRef = map[string]map[string][4]float64{
	"wine.csv": {
		"alcohol":                      {0.32822194089001927, 0.35416691685047613, 0.46861607349113665, 140.87412422586635},
		"malic_acid":                   {0.437776204841065, 0.34691326503731895, 0.31030349232736243, 104.98528421554026},
		"ash":                          {0.04964322102407742, 0.05398792246009171, 0.16323387906016595, 49.911669982971574},
		"alcalinity_of_ash":            {0.517859109821452, 0.5697921371491838, 0.25596785629252977, 75.65633210125885},
		"magnesium":                    {0.2091793902949302, 0.25049818602034224, 0.23085336773803616, 69.1986873455313},
		"total_phenols":                {0.7191633405539716, 0.7265436496171518, 0.4067846365302634, 120.66251127167017},
		"flavanoids":                   {0.8474975401417584, 0.8549076599697267, 0.6732296469954419, 215.5475323559152},
		"nonflavanoid_phenols":         {0.48910915886069084, 0.47420549414283153, 0.19864642507690677, 64.93090320534132},
		"proanthocyanins":              {0.4991298238591705, 0.5706475773153138, 0.24398709935734456, 76.06179150105996},
		"color_intensity":              {0.26566756917598966, 0.131170171601033, 0.5615211599372959, 176.06676935482025},
		"hue":                          {0.6173692102858322, 0.6165704938111143, 0.45183162402214105, 142.2215320818377},
		"od280_od315_of_diluted_wines": {0.7882295886876632, 0.7437869022833775, 0.5333192657455393, 165.80297153353658},
		"proline":                      {0.6337167849870334, 0.5763831288225694, 0.5796482127292192, 176.46822007243787},
	},
	"iris.csv": {
		"sepal_length_cm": {0.7825612318100813, 0.7980781172420549, 0.506114992512413, 129.21527149321267},
		"sepal_width_cm":  {0.4266575607811244, 0.440289584131434, 0.2799850900057721, 71.81048600522284},
		"petal_length_cm": {0.9490346990083884, 0.9354305169914044, 0.9315290229184877, 252.07948717948716},
		"petal_width_cm":  {0.9565473328764029, 0.9381791663400608, 0.9353051106982697, 253.03333333333327},
	},
}

func TestFilterBasedFeatureSelectionMatchesScipy(t *testing.T) {
	targets := map[string]string{"wine.csv": "class", "iris.csv": "species"}
	for file, ref := range filterRef {
		data := loadCSV(t, file)
		for m, method := range []string{"pearson", "spearman", "mutual_information", "chi_squared"} {
			res := moduletest.MustRun(t, FilterBasedFeatureSelection{}, map[string]any{"method": method, "target": targets[file], "num_features": 3}, data)
			scores := res.Table(t, FilterBasedFeatureSelection{}, "feature_scores")
			got := floats(t, scores, "Score")
			if !slices.IsSortedFunc(got, func(a, b float64) int { return compareMetric(a, b, true) }) {
				t.Errorf("%s %s: scores not best first", file, method)
			}
			for i := range scores.NumRows() {
				name := scores.Column(0).Format(i)
				if want := ref[name][m]; relErr(got[i], want) > 1e-10 {
					t.Errorf("%s %s %s: %v, scipy %v", file, method, name, got[i], want)
				}
			}
			// The filtered dataset keeps the target and the three best, in order.
			filtered := res.Table(t, FilterBasedFeatureSelection{}, "filtered_dataset")
			var want []string
			for _, n := range data.Schema().Names() {
				top := slices.Contains([]string{scores.Column(0).Format(0), scores.Column(0).Format(1), scores.Column(0).Format(2)}, n)
				if top || n == targets[file] {
					want = append(want, n)
				}
			}
			if got := filtered.Schema().Names(); !slices.Equal(got, want) {
				t.Errorf("%s %s: kept %v, want %v", file, method, got, want)
			}
		}
	}
}

func TestFilterBasedFeatureSelectionMixed(t *testing.T) {
	// Strings, nulls, NaN and roles: an ignored column is not scored and is
	// kept; a constant column scores missing and ranks last.
	tb := table.MustNew(table.Schema{
		{Name: "color", Type: table.String}, {Name: "x", Type: table.Float}, {Name: "const", Type: table.Int},
		{Name: "id", Type: table.Int, Role: table.Ignore}, {Name: "y", Type: table.String},
	},
		table.NewStrings([]string{"r", "g", "r", "b", "g", "r"}, table.Bitmap{0b111011}),
		table.NewFloats([]float64{1, math.NaN(), 3, 4, 5, 6}, nil),
		table.NewInts([]int64{7, 7, 7, 7, 7, 7}, nil),
		table.NewInts([]int64{1, 2, 3, 4, 5, 6}, nil),
		table.NewStrings([]string{"a", "b", "a", "b", "b", "a"}, nil),
	)
	for _, method := range []string{"pearson", "spearman", "mutual_information", "chi_squared"} {
		res := moduletest.MustRun(t, FilterBasedFeatureSelection{}, map[string]any{"method": method, "target": "y", "num_features": 2}, tb)
		scores := res.Table(t, FilterBasedFeatureSelection{}, "feature_scores")
		if scores.NumRows() != 3 {
			t.Fatalf("%s: %d scores", method, scores.NumRows())
		}
		if last := scores.Column(0).Format(2); method != "mutual_information" && method != "chi_squared" && last != "const" {
			t.Errorf("%s: %q ranks last, want const", method, last)
		}
		if got := res.Table(t, FilterBasedFeatureSelection{}, "filtered_dataset").Schema().Index("id"); got < 0 {
			t.Errorf("%s: the ignored column was dropped", method)
		}
	}
	// Spearman on the rows where both are present: color (codes b=0,g=1,r=2)
	// against y (a=0, b=1) over rows 0,1,3,4,5 (row 2's color is null).
	res := moduletest.MustRun(t, FilterBasedFeatureSelection{}, map[string]any{"method": "spearman", "target": "y", "num_features": 3}, tb)
	sc := res.Table(t, FilterBasedFeatureSelection{}, "feature_scores")
	for i := range sc.NumRows() {
		if sc.Column(0).Format(i) == "color" {
			want := math.Abs(pearson(ranks([]float64{2, 1, 0, 1, 2}), ranks([]float64{0, 1, 1, 1, 0})))
			if got := floats(t, sc, "Score")[i]; math.Abs(got-want) > 1e-15 {
				t.Errorf("color: %v, want %v", got, want)
			}
		}
	}
}

func TestRanks(t *testing.T) {
	if got := ranks([]float64{10, 20, 10, 5, 20, 20}); !slices.Equal(got, []float64{2.5, 5, 2.5, 1, 5, 5}) {
		t.Errorf("ranks %v", got)
	}
}

func TestFilterBasedFeatureSelectionErrors(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	if _, err := moduletest.Run(t, FilterBasedFeatureSelection{}, map[string]any{"target": "nope"}, iris); !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("missing target: %v", err)
	}
	var pe *modules.ParamError
	if _, err := moduletest.Run(t, FilterBasedFeatureSelection{}, map[string]any{"target": "species", "method": "anova"}, iris); !errors.As(err, &pe) {
		t.Errorf("unknown method: %v", err)
	}
	if _, err := moduletest.Run(t, FilterBasedFeatureSelection{}, map[string]any{"target": "species"}, iris.Select([]int{4})); err == nil {
		t.Error("a table with only the target accepted")
	}
}
