//go:build !purego

#include "textflag.h"

// func affineVec(z []float64, cols [][]float64, w []float64, b float64)
//
// Eight accumulators (32 rows) hide the latency of the fused multiply-adds;
// the tail goes four rows at a time. Every row sees the same sequence of
// operations: s = b, then s = w[j]*cols[j][i] + s for j in order.
TEXT ·affineVec(SB), NOSPLIT, $0-80
	MOVQ         z_base+0(FP), DI
	MOVQ         z_len+8(FP), CX
	MOVQ         cols_base+24(FP), SI
	MOVQ         cols_len+32(FP), DX
	MOVQ         w_base+48(FP), R8
	VBROADCASTSD b+72(FP), Y15
	XORQ         AX, AX

rows32:
	MOVQ CX, BX
	SUBQ AX, BX
	CMPQ BX, $32
	JLT  rows4
	VMOVAPD Y15, Y0
	VMOVAPD Y15, Y1
	VMOVAPD Y15, Y2
	VMOVAPD Y15, Y3
	VMOVAPD Y15, Y4
	VMOVAPD Y15, Y5
	VMOVAPD Y15, Y6
	VMOVAPD Y15, Y7
	MOVQ    SI, R10
	MOVQ    R8, R11
	MOVQ    DX, R9
	TESTQ   R9, R9
	JZ      store32

cols32:
	MOVQ         (R10), R12
	LEAQ         (R12)(AX*8), R12
	VBROADCASTSD (R11), Y8
	VFMADD231PD  (R12), Y8, Y0
	VFMADD231PD  32(R12), Y8, Y1
	VFMADD231PD  64(R12), Y8, Y2
	VFMADD231PD  96(R12), Y8, Y3
	VFMADD231PD  128(R12), Y8, Y4
	VFMADD231PD  160(R12), Y8, Y5
	VFMADD231PD  192(R12), Y8, Y6
	VFMADD231PD  224(R12), Y8, Y7
	ADDQ         $24, R10
	ADDQ         $8, R11
	DECQ         R9
	JNZ          cols32

store32:
	LEAQ    (DI)(AX*8), R12
	VMOVUPD Y0, (R12)
	VMOVUPD Y1, 32(R12)
	VMOVUPD Y2, 64(R12)
	VMOVUPD Y3, 96(R12)
	VMOVUPD Y4, 128(R12)
	VMOVUPD Y5, 160(R12)
	VMOVUPD Y6, 192(R12)
	VMOVUPD Y7, 224(R12)
	ADDQ    $32, AX
	JMP     rows32

rows4:
	CMPQ    AX, CX
	JGE     done
	VMOVAPD Y15, Y0
	MOVQ    SI, R10
	MOVQ    R8, R11
	MOVQ    DX, R9
	TESTQ   R9, R9
	JZ      store4

cols4:
	MOVQ         (R10), R12
	VBROADCASTSD (R11), Y8
	VFMADD231PD  (R12)(AX*8), Y8, Y0
	ADDQ         $24, R10
	ADDQ         $8, R11
	DECQ         R9
	JNZ          cols4

store4:
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     rows4

done:
	VZEROUPPER
	RET

// Offsets into the constants (see vecmath.go), 32 bytes each.
#define SIGN 0
#define FLOOR 32
#define LOG2E 64
#define LN2HI 96
#define LN2LO 128
#define HALF 160
#define MAGIC 192
#define ONE 224
#define POLY 256

// func logisticVec(z, p0 []float64, c *[numConsts][4]float64)
//
// Four rows at a time, the same operations as logistic in vecmath.go.
TEXT ·logisticVec(SB), NOSPLIT, $0-56
	MOVQ         z_base+0(FP), DI
	MOVQ         z_len+8(FP), CX
	MOVQ         p0_base+24(FP), SI
	MOVQ         c+48(FP), R8
	VMOVUPD      FLOOR(R8), Y14
	XORQ         AX, AX

loop:
	CMPQ AX, CX
	JGE  end

	VMOVUPD (DI)(AX*8), Y0       // v
	VORPD   SIGN(R8), Y0, Y1     // a = −|v|
	VMAXPD  Y1, Y14, Y1          // a = max(floorArg, a); a NaN a stays NaN

	VMULPD   LOG2E(R8), Y1, Y2   // k = roundeven(a·log2 e)
	VROUNDPD $0, Y2, Y2
	VMOVAPD  Y1, Y3
	VFNMADD231PD LN2HI(R8), Y2, Y3 // r = a − k·ln2Hi
	VFNMADD231PD LN2LO(R8), Y2, Y3 // r = r − k·ln2Lo

	VMOVUPD     POLY(R8), Y4     // Horner: p = p·r + c
	VFMADD213PD POLY+32(R8), Y3, Y4
	VFMADD213PD POLY+64(R8), Y3, Y4
	VFMADD213PD POLY+96(R8), Y3, Y4
	VFMADD213PD POLY+128(R8), Y3, Y4
	VFMADD213PD POLY+160(R8), Y3, Y4
	VFMADD213PD POLY+192(R8), Y3, Y4
	VFMADD213PD POLY+224(R8), Y3, Y4
	VFMADD213PD POLY+256(R8), Y3, Y4
	VFMADD213PD POLY+288(R8), Y3, Y4
	VFMADD213PD POLY+320(R8), Y3, Y4
	VFMADD213PD POLY+352(R8), Y3, Y4
	VFMADD213PD POLY+384(R8), Y3, Y4
	VFMADD213PD POLY+416(R8), Y3, Y4

	VMULPD   HALF(R8), Y2, Y5    // k1 = trunc(k/2), k2 = k − k1
	VROUNDPD $3, Y5, Y5
	VSUBPD   Y5, Y2, Y6
	VADDPD   MAGIC(R8), Y5, Y5   // 2^k1, 2^k2
	VPSLLQ   $52, Y5, Y5
	VADDPD   MAGIC(R8), Y6, Y6
	VPSLLQ   $52, Y6, Y6
	VMULPD   Y5, Y4, Y4
	VMULPD   Y6, Y4, Y4          // e = exp(a)

	VADDPD  ONE(R8), Y4, Y5      // big = 1/(1+e), small = e·big
	VMOVUPD ONE(R8), Y6
	VDIVPD  Y5, Y6, Y6
	VMULPD  Y6, Y4, Y7

	VBLENDVPD Y0, Y7, Y6, Y1     // v < 0 (by its sign bit): p1 = small, p0 = big
	VBLENDVPD Y0, Y6, Y7, Y2
	VMOVUPD   Y1, (DI)(AX*8)
	VMOVUPD   Y2, (SI)(AX*8)
	ADDQ      $4, AX
	JMP       loop

end:
	VZEROUPPER
	RET
