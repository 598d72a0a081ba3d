# Empty dependencies file for header_llm.
# This may be replaced when dependencies are built.
