"""The review workbook: its seal (seal.py), its reader (reader.py), its writer (writer.py,
summary.py, cells.py). Written for `cancelkit review`, read back by `generate --from-review`."""
