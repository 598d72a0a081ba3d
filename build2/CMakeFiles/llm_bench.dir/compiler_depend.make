# Empty compiler generated dependencies file for llm_bench.
# This may be replaced when dependencies are built.
