"""``ember.backends.<library>``: importable as modules, flags set and restored as in PyTorch."""

from __future__ import annotations

import importlib
import warnings

import pytest

import ember


@pytest.mark.parametrize("name", ["cudnn", "mkldnn", "mps", "cuda", "opt_einsum", "cpu",
                                  "openmp", "mkl", "mha"])
def test_submodule_imports_as_pytorch_programs_write_it(name):
    module = importlib.import_module(f"ember.backends.{name}")
    assert getattr(ember.backends, name) is module


def test_cudnn_flags_are_kept_and_flags_block_restores_them(torch):
    import ember.backends.cudnn as cudnn

    for lib_cudnn in (cudnn, torch.backends.cudnn):
        old = (lib_cudnn.benchmark, lib_cudnn.deterministic, lib_cudnn.enabled)
        lib_cudnn.benchmark = True
        lib_cudnn.deterministic = True
        seen = {}
        with lib_cudnn.flags(deterministic=True):  # the omitted flags take flags()'s defaults
            seen["inside"] = (lib_cudnn.enabled, lib_cudnn.benchmark, lib_cudnn.deterministic,
                              lib_cudnn.allow_tf32)
        seen["after"] = (lib_cudnn.enabled, lib_cudnn.benchmark, lib_cudnn.deterministic)
        lib_cudnn.benchmark, lib_cudnn.deterministic, lib_cudnn.enabled = old
        if lib_cudnn is cudnn:
            ours = seen
        else:
            theirs = seen
    assert ours == theirs
    assert cudnn.is_available() is False and cudnn.version() is None
    assert cudnn.is_acceptable(ember.ones(2)) is False


def test_cudnn_flags_block_restores_after_an_error():
    import ember.backends.cudnn as cudnn

    with pytest.raises(ValueError), cudnn.flags(enabled=False, benchmark=True):
        assert cudnn.enabled is False and cudnn.benchmark is True
        raise ValueError
    assert cudnn.enabled is True and cudnn.benchmark is False


def test_mkldnn_flags_block(torch):
    import ember.backends.mkldnn as mkldnn

    results = []
    for lib in (mkldnn, torch.backends.mkldnn):
        with lib.flags(enabled=False):
            inside = lib.enabled
        results.append((inside, lib.enabled, lib.deterministic))
    assert results[0] == results[1]
    assert mkldnn.is_available() is False


def test_mha_fastpath_switch(torch):
    from ember.backends import mha

    for lib_mha in (mha, torch.backends.mha):
        assert lib_mha.get_fastpath_enabled() is True
        lib_mha.set_fastpath_enabled(False)
        assert lib_mha.get_fastpath_enabled() is False
        lib_mha.set_fastpath_enabled(True)


def test_cuda_switches_as_a_build_without_cuda(torch):
    from ember.backends import cuda

    assert cuda.is_built() is False
    assert cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32
    for getter, setter in [("flash_sdp_enabled", "enable_flash_sdp"),
                           ("mem_efficient_sdp_enabled", "enable_mem_efficient_sdp"),
                           ("math_sdp_enabled", "enable_math_sdp"),
                           ("cudnn_sdp_enabled", "enable_cudnn_sdp")]:
        assert getattr(cuda, getter)() is getattr(torch.backends.cuda, getter)() is True
        getattr(cuda, setter)(False)
        assert getattr(cuda, getter)() is False
        getattr(cuda, setter)(True)
    assert cuda.preferred_linalg_library().name == \
        torch.backends.cuda.preferred_linalg_library().name
    for bad in ("foo", 3):
        with pytest.raises(RuntimeError) as ours:
            cuda.preferred_linalg_library(bad)
        with pytest.raises(RuntimeError) as theirs:
            torch.backends.cuda.preferred_linalg_library(bad)
        assert str(ours.value) == str(theirs.value)
    assert cuda.preferred_linalg_library("magma").name == "Magma"
    cuda.preferred_linalg_library("default")


def test_sdp_kernel_is_deprecated_and_scoped():
    from ember.backends import cuda

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with cuda.sdp_kernel(enable_flash=False, enable_math=True):
            assert cuda.flash_sdp_enabled() is False and cuda.math_sdp_enabled() is True
    assert cuda.flash_sdp_enabled() is True
    assert any(issubclass(w.category, FutureWarning) and "sdp_kernel" in str(w.message)
               for w in caught)


def test_availability_answers(torch):
    from ember import backends

    assert backends.mps.is_available() is backends.mps.is_built() is False
    assert backends.opt_einsum.is_available() is torch.backends.opt_einsum.is_available()
    assert backends.opt_einsum.strategy == torch.backends.opt_einsum.strategy
    assert backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")
    assert backends.openmp.is_available() is False and backends.mkl.is_available() is False
