CREATE TABLE items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Names are unique: a duplicate is a 409, and lookups by name are cheap.
CREATE UNIQUE INDEX items_name_key ON items (name);
-- Lists are ordered by id, which is the rowid: no extra index needed.
