"""Op cases for MatMul, Gemm and Einsum (expected values from numpy / torch in float64)."""
import numpy as np
import torch

from opcase import Case

rng = np.random.default_rng(1234)


def r(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def f64(x):
    return x.astype(np.float64)


def matmul_cases():
    out = []

    def mm(name, a, b, **kw):
        want = np.matmul(f64(a), f64(b)).astype(a.dtype)
        out.append(Case(name, "MatMul", [a, b], [want], **kw))

    mm("matmul_2d", r(3, 17), r(17, 5))
    mm("matmul_1d_a", r(17), r(17, 5))
    mm("matmul_1d_b", r(3, 17), r(17))
    mm("matmul_1d_both", r(63), r(63))
    mm("matmul_1d_a_batched", r(4), r(2, 4, 3))
    mm("matmul_1d_b_batched", r(2, 3, 4), r(4))
    mm("matmul_batch_broadcast", r(2, 1, 3, 4), r(5, 4, 6))
    mm("matmul_batch_a_broadcast", r(1, 3, 9), r(4, 9, 2))
    mm("matmul_shared_b", r(2, 3, 63, 17), r(17, 33))
    mm("matmul_gemv", r(1, 128), r(128, 512), atol=1e-4, rtol=1e-4)
    mm("matmul_tall_skinny", r(65, 129), r(129, 3), atol=1e-4, rtol=1e-4)
    mm("matmul_blocked", r(67, 300), r(300, 45), atol=2e-4, rtol=1e-4)
    mm("matmul_zero_k", r(3, 0), r(0, 4))
    mm("matmul_zero_batch", r(0, 3, 4), r(4, 2))
    mm("matmul_f16", r(2, 7, 33, dtype=np.float16), r(33, 9, dtype=np.float16),
       atol=1e-2, rtol=1e-2)
    mm("matmul_f16_1d", r(40, dtype=np.float16), r(3, 40, 5, dtype=np.float16),
       atol=1e-2, rtol=1e-2)
    return out


def gemm_cases():
    out = []

    def gemm(name, a, b, c=None, alpha=1.0, beta=1.0, ta=0, tb=0, omit_c=False, **kw):
        A = f64(a).T if ta else f64(a)
        B = f64(b).T if tb else f64(b)
        want = alpha * (A @ B)
        if c is not None:
            want = want + beta * f64(c)
        attrs = {}
        if alpha != 1.0:
            attrs["alpha"] = alpha
        if beta != 1.0:
            attrs["beta"] = beta
        if ta:
            attrs["transA"] = 1
        if tb:
            attrs["transB"] = 1
        ins = [a, b] if omit_c else [a, b, c]
        out.append(Case(name, "Gemm", ins, [want.astype(a.dtype)], attrs=attrs, **kw))

    gemm("gemm_basic", r(5, 7), r(7, 3), r(3), alpha=0.5, beta=2.0)
    gemm("gemm_trans_both", r(7, 5), r(3, 7), r(5, 3), ta=1, tb=1)
    gemm("gemm_trans_a", r(17, 6), r(17, 9), r(1, 9), ta=1, beta=-1.5)
    gemm("gemm_c_scalar", r(4, 3), r(3, 2), r(1), beta=0.25)
    gemm("gemm_c_column", r(5, 3), r(3, 4), r(5, 1))
    gemm("gemm_c_rank0", r(2, 3), r(3, 2), np.array(1.5, dtype=np.float32))
    gemm("gemm_no_c", r(6, 5), r(5, 4), omit_c=True, alpha=2.0)
    gemm("gemm_c_absent_slot", r(6, 5), r(5, 4), None)
    # LSTM-like projections: one row against weights stored [N, K] (transB)
    gemm("gemm_gemv_trans_b", r(1, 128), r(512, 128), r(512), tb=1, atol=1e-4, rtol=1e-4)
    gemm("gemm_rows4_trans_b", r(4, 131), r(37, 131), r(37), tb=1, atol=1e-4, rtol=1e-4)
    gemm("gemm_trans_a_long_k", r(600, 3), r(5, 600), r(3, 5), ta=1, tb=1, atol=2e-4, rtol=1e-4)
    gemm("gemm_blocked_edges", r(67, 130), r(130, 45), r(67, 45), atol=2e-4, rtol=1e-4)
    gemm("gemm_blocked_trans_b", r(33, 257), r(70, 257), r(70), tb=1, atol=2e-4, rtol=1e-4)
    gemm("gemm_zero_k", r(3, 0), r(0, 4), r(4), beta=3.0)
    gemm("gemm_f16", r(9, 33, dtype=np.float16), r(17, 33, dtype=np.float16),
         r(17, dtype=np.float16), tb=1, atol=2e-2, rtol=1e-2)
    return out


def einsum_cases():
    out = []

    def es(name, eq, *ops, **kw):
        want = torch.einsum(eq, *[torch.from_numpy(f64(x)) for x in ops]).numpy()
        out.append(Case(name, "Einsum", list(ops), [np.asarray(want, dtype=np.float32)],
                        attrs={"equation": eq}, opset=12, **kw))

    es("einsum_attention", "bhid,bhjd->bhij", r(2, 3, 5, 4), r(2, 3, 6, 4))
    es("einsum_batched", "bij,bjk->bik", r(3, 4, 5), r(3, 5, 2))
    es("einsum_matmul", "ij,jk->ik", r(7, 17), r(17, 3))
    es("einsum_implicit", "ij,jk", r(4, 5), r(5, 6))
    es("einsum_implicit_upper", "Ab,bc", r(4, 5), r(5, 6))
    es("einsum_ellipsis", "...ij,...jk->...ik", r(2, 1, 3, 4), r(5, 4, 2))
    es("einsum_permuted_out", "bij,bjk->kbi", r(3, 4, 5), r(3, 5, 2))
    es("einsum_transpose", "ij->ji", r(3, 5))
    es("einsum_diagonal", "ii->i", r(4, 4))
    es("einsum_batched_trace", "bii->b", r(3, 5, 5))
    es("einsum_trace", "ii", r(5, 5))
    es("einsum_sum_all", "ij->", r(3, 7))
    es("einsum_dot", "i,i->", r(63), r(63))
    es("einsum_sum_two_axes", "ijk->j", r(3, 7, 2))
    es("einsum_outer", "i,j->ij", r(5), r(3))
    es("einsum_batched_dot", "bi,bi->b", r(2, 63), r(2, 63))
    es("einsum_rowwise_dot", "ij,ij->i", r(4, 9), r(4, 9))
    es("einsum_sum_one_side", "ijk,jl->il", r(3, 4, 5), r(4, 6))
    es("einsum_ellipsis_sum", "...i,...i->...", r(2, 3, 4), r(3, 4))
    return out


def cases():
    return matmul_cases() + gemm_cases() + einsum_cases()
