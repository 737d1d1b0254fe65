//go:build !amd64 || purego

package vecmath

const accelerated = false

func affineVec(z []float64, cols [][]float64, w []float64, b float64) { panic("unreachable") }

func logisticVec(z, p0 []float64, c *[numConsts][4]float64) { panic("unreachable") }
