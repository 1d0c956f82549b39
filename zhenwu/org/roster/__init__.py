"""花名册 import and export: the household roster (住户花名册) and the party member roster (党员花名册).

Import is two background jobs. `roster_validate` reads the uploaded .xlsx once (zhenwu.lib.excel:
calamine, or openpyxl streaming for very large sheets; rows handled in batches) and stores a
preview in the job's result: counts, the first rows with masked numbers and the errors by Excel
row, column and reason (the first ERROR_CAP kept in the result, every one of them in a
downloadable error list). A clean file's parsed rows are staged (encrypted, with the job) for the
commit. `roster_commit` works inside one transaction: from the staged rows it checks again only
what depends on the database (numbers registered meanwhile, households, grids and organisations
still in the user's scope); without a stage (or when the user's scope changed) it reads and checks
the file again. It writes with insert_many, one audit entry per created row plus one IMPORT event
for the job; any error rolls everything back.

Memory is bounded as files grow: rows are read and written in batches; what a scan keeps across
batches is a map of ID-number hashes (duplicates within the file) and, for households, a small
tuple per household number; the reader holds at most zhenwu.lib.excel.IN_MEMORY_LIMIT of sheet.

Export writes the same layouts (openpyxl write-only, through a temporary file) from the records the
user can see, masked unless a town admin asks for full values, which is audited.

The modules, each imported by name (this package re-exports nothing), from the bottom up:

- `errors`: RosterFileError (the file cannot be used), RosterError (a request cannot be granted);
- `layouts`: the two kinds, their columns (headers, aliases, help) and header matching;
- `cells`: one cell's value as text, ID number, date or yes/no;
- `scope`: who may use rosters and the village, grid and party organisation names they may write;
- `stage`: the parsed rows a validation hands to the commit;
- `scan`: reading a file (bounded), every row check, `validate_roster`;
- `commit`: `commit_roster`, the all-or-nothing write;
- `jobs`: the two background jobs, starting them and finding a user's jobs (`OrgConfig.ready`
  imports it so the handlers are registered);
- `export`: templates, sample rows and `export_roster`.
"""
