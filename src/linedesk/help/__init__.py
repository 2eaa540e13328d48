"""In-app help (SPEC R-L7): the FAQ of the seed in Italian and English, searchable."""
