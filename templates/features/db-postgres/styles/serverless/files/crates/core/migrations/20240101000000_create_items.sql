CREATE TABLE items (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Names are unique: a duplicate is a 409, and lookups by name are cheap.
CREATE UNIQUE INDEX items_name_key ON items (name);
-- Lists are ordered by id, which the primary key index already serves.
