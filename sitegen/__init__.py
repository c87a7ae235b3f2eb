"""Static site generator for the Ask for Help campaign site."""
