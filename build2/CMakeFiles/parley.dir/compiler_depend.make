# Empty compiler generated dependencies file for parley.
# This may be replaced when dependencies are built.
