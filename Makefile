# Convenience wrapper around CMake. `make` builds, `make test` runs every test,
# `make test-sanitize` runs them under ASan + UBSan, `make test-arm` runs them on a
# 64-bit Arm cross build under qemu-user, `make fuzz` fuzzes the parsers for a bounded
# time, `make bench` runs the benchmarks.

BUILD ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
BUILD_ARM ?= build-arm
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
VOCE_TEST_DATA ?= ../shared
ORT_VERSION = 1.30.0
CMAKE_FLAGS ?=

.PHONY: all test test-sanitize test-arm fuzz bench refs clean

# The sanitizer and Arm builds use the Whisper and NeMo test models `make test` made,
# when it has (tests/CMakeLists.txt, VOCE_WHISPER_LAYOUTS, VOCE_TRANSDUCER_LAYOUTS); else
# they make their own.
WHISPER_LAYOUTS = $(if $(wildcard $(BUILD)/whisper-layouts/multi/ref/mel.npy),-DVOCE_WHISPER_LAYOUTS=$(abspath $(BUILD))/whisper-layouts,-DVOCE_WHISPER_LAYOUTS=) \
  $(if $(wildcard $(BUILD)/transducer-layouts/tdt/ref/facts.json),-DVOCE_TRANSDUCER_LAYOUTS=$(abspath $(BUILD))/transducer-layouts,-DVOCE_TRANSDUCER_LAYOUTS=)

all:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# ONNX Runtime (npm onnxruntime-node) for the reference outputs of the real models.
# Installed with --ignore-scripts: the package ships its native library for x64 Linux.
refs:
	@if command -v npm >/dev/null; then \
	  if [ ! -d $(BUILD)/ort/node_modules/onnxruntime-node ]; then \
	    mkdir -p $(BUILD)/ort && \
	    npm install --prefix $(BUILD)/ort --no-save --no-audit --no-fund --ignore-scripts \
	      onnxruntime-node@$(ORT_VERSION) >/dev/null || echo "warning: npm install onnxruntime-node failed"; \
	  fi; \
	else echo "warning: npm not found: tests that need ONNX Runtime references will skip"; fi

test: all refs
	cd $(BUILD) && ctest --output-on-failure --timeout 900 -j $(JOBS)

# Under the sanitizers the tests that run models over minutes of audio use part of it
# (VOCE_TEST_QUICK=1): the same code paths, a fifth of the time. test_qlinear_novnni is
# left out there: the AVX-512 kernels it runs without VNNI are test_qlinear's on a CPU
# without VNNI, and test_qlinear and test_qlinear_isa_c run under the sanitizers.
test-sanitize: refs
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DVOCE_SANITIZE=ON -DVOCE_BENCH=OFF \
	  -DVOCE_ORT_NODE_PATH=$(abspath $(BUILD))/ort/node_modules $(WHISPER_LAYOUTS) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && VOCE_TEST_QUICK=1 ctest --output-on-failure --timeout 900 -j $(JOBS) -E '^test_qlinear_novnni$$'

# AArch64 (NEON kernels, the FFT's vectors on NEON): Debian's cross compiler, the tests
# under qemu-user (packages gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user).
# ctest runs each test program through the toolchain file's emulator, the shell tests
# of the voce command get it from VOCE_EMULATOR (tests/cli_lib.sh), and the reference
# generators (python, node) run on the host. qemu emulates float arithmetic in software
# (about 100x slower), so VOCE_TEST_QUICK=1 has the model tests use part of their audio.
# Left out (ARM_SKIP): test_vad_ref and test_quant_ort start voce without VOCE_EMULATOR;
# test_vad_cli resamples through an arm64 libsoxr that the cross sysroot lacks (its CLI
# logic is the same on every CPU; test_vad runs the model on Arm); whole Whisper
# transcriptions (test_transcribe_cli, test_whisper_transcribe) decode hundreds of steps
# through the random model, minutes each under qemu: test_whisper_model runs the Whisper
# encoder and decoder on Arm against PyTorch; test_transducer_long (windowing and merging
# logic, the same on every CPU: test_transducer_asr runs the NeMo models on Arm). A
# second pass runs test_gemm with VOCE_ISA=c.
QEMU_ARM = qemu-aarch64 -L /usr/aarch64-linux-gnu
ARM_SKIP = ^(test_vad_ref|test_vad_cli|test_quant_ort|test_transcribe_cli|.*whisper_transcribe.*|check_whisper_layouts|test_transducer_long|gen_transducer_long)$$
test-arm: refs
	@command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null \
	  || { echo "test-arm needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-user"; exit 1; }
	cmake -S . -B $(BUILD_ARM) -DCMAKE_TOOLCHAIN_FILE=$(abspath cmake/aarch64-linux-gnu.cmake) \
	  -DCMAKE_BUILD_TYPE=Release -DVOCE_BENCH=OFF -DVOCE_FUZZ=OFF \
	  -DVOCE_ORT_NODE_PATH=$(abspath $(BUILD))/ort/node_modules $(WHISPER_LAYOUTS) >/dev/null
	cmake --build $(BUILD_ARM) -j $(JOBS)
	cd $(BUILD_ARM) && VOCE_EMULATOR="$(QEMU_ARM)" VOCE_TEST_QUICK=1 \
	  ctest --output-on-failure --timeout 900 -j $(JOBS) -E '$(ARM_SKIP)'
	cd $(BUILD_ARM) && VOCE_ISA=c ctest --output-on-failure --timeout 900 -R '^test_gemm$$'

# libFuzzer (clang) on the parsers of untrusted bytes: the .voce reader, the ONNX
# importer, the WAV parser and the tokenizer's loaders and encoder, FUZZ_SECONDS each,
# seeded with programs from the writer, the real models, the real WAV files (their first
# 4 KiB: the headers and some data), the start of Whisper's vocabularies and the transcripts.
fuzz:
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DVOCE_FUZZ=ON -DVOCE_TESTS=OFF -DVOCE_BENCH=OFF >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_format fuzz_onnx fuzz_wav fuzz_vocab
	mkdir -p $(BUILD_FUZZ)/fuzz/corpus/onnx $(BUILD_FUZZ)/fuzz/corpus/wav $(BUILD_FUZZ)/fuzz/corpus/vocab
	-cp $(VOCE_TEST_DATA)/models/*/*.onnx $(BUILD_FUZZ)/fuzz/corpus/onnx/ 2>/dev/null
	-cp $(VOCE_TEST_DATA)/audio/*.wav $(VOCE_TEST_DATA)/audio/*/*.wav $(BUILD_FUZZ)/fuzz/corpus/wav/ 2>/dev/null
	-command -v sox >/dev/null && cd $(BUILD_FUZZ)/fuzz/corpus/wav \
	  && sox -n -r 8000 -b 24 -c 6 ext24.wav synth 0.05 sine 440 \
	  && sox -n -r 8000 -e floating-point -b 64 -c 2 f64.wav synth 0.05 sine 440 \
	  && sox -n -r 8000 -b 8 u8.wav synth 0.05 sine 440
	$(BUILD_FUZZ)/fuzz/fuzz_format -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1 \
	  $(BUILD_FUZZ)/fuzz/corpus/format >$(BUILD_FUZZ)/fuzz_format.log 2>&1 \
	  || { tail -40 $(BUILD_FUZZ)/fuzz_format.log; exit 1; }
	@grep -E "stat::number_of_executed_units|Done" $(BUILD_FUZZ)/fuzz_format.log
	$(BUILD_FUZZ)/fuzz/fuzz_onnx -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -max_len=4194304 -print_final_stats=1 \
	  $(BUILD_FUZZ)/fuzz/corpus/onnx >$(BUILD_FUZZ)/fuzz_onnx.log 2>&1 \
	  || { tail -40 $(BUILD_FUZZ)/fuzz_onnx.log; exit 1; }
	@grep -E "stat::number_of_executed_units|Done" $(BUILD_FUZZ)/fuzz_onnx.log
	$(BUILD_FUZZ)/fuzz/fuzz_wav -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
	  $(BUILD_FUZZ)/fuzz/corpus/wav >$(BUILD_FUZZ)/fuzz_wav.log 2>&1 \
	  || { tail -40 $(BUILD_FUZZ)/fuzz_wav.log; exit 1; }
	@grep -E "stat::number_of_executed_units|Done" $(BUILD_FUZZ)/fuzz_wav.log
	-for v in gpt2 multilingual; do head -n 400 $(VOCE_TEST_DATA)/models/whisper-assets/$$v.tiktoken \
	  >$(BUILD_FUZZ)/fuzz/corpus/vocab/$$v && printf '\000' >>$(BUILD_FUZZ)/fuzz/corpus/vocab/$$v; done
	-for t in $(VOCE_TEST_DATA)/audio/*.txt $(VOCE_TEST_DATA)/audio/*/*.txt; do \
	  { cat $$t; printf '\005'; } >$(BUILD_FUZZ)/fuzz/corpus/vocab/text-$$(basename $$t); done
	printf '{"model": {"type": "BPE", "vocab": {"a": 0, "\\u0120": 1}, "merges": ["a a"]}, "added_tokens": [{"id": 9, "content": "<|x|>"}]}\003' \
	  >$(BUILD_FUZZ)/fuzz/corpus/vocab/tokenizer.json
	$(BUILD_FUZZ)/fuzz/fuzz_vocab -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
	  $(BUILD_FUZZ)/fuzz/corpus/vocab >$(BUILD_FUZZ)/fuzz_vocab.log 2>&1 \
	  || { tail -40 $(BUILD_FUZZ)/fuzz_vocab.log; exit 1; }
	@grep -E "stat::number_of_executed_units|Done" $(BUILD_FUZZ)/fuzz_vocab.log

bench: all refs
	sh bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_ARM)
