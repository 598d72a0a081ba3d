# Empty compiler generated dependencies file for gguf_standin.
# This may be replaced when dependencies are built.
