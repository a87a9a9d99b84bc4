-- Why: a report with a position is registered in the grid whose shape contains it. Grid shapes
-- are imported as GeoJSON and kept as text; the geometry itself is tested in Rust, the same on
-- both backends (no spatial extension). Each shape's bounding box is kept in four indexed
-- columns, so that a lookup first narrows to the few grids whose box holds the point.

CREATE TABLE grid_shapes (
    grid     TEXT PRIMARY KEY REFERENCES regions (code),
    village  TEXT NOT NULL,
    min_lat  REAL NOT NULL,
    min_lon  REAL NOT NULL,
    max_lat  REAL NOT NULL,
    max_lon  REAL NOT NULL,
    geometry TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX grid_shapes_box ON grid_shapes (min_lat, max_lat, min_lon, max_lon);
CREATE INDEX grid_shapes_village ON grid_shapes (village, grid);
