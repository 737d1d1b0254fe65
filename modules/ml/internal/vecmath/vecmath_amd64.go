//go:build !purego

package vecmath

import "golang.org/x/sys/cpu"

// accelerated reports whether the AVX2 kernels run; without AVX2 and FMA the
// portable loops compute the same values.
var accelerated = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// affineVec is Affine on amd64 with AVX2 and FMA; len(z) is a multiple of 4.
//
//go:noescape
func affineVec(z []float64, cols [][]float64, w []float64, b float64)

// logisticVec is Logistic on amd64 with AVX2 and FMA; len(z) is a multiple
// of 4.
//
//go:noescape
func logisticVec(z, p0 []float64, c *[numConsts][4]float64)
