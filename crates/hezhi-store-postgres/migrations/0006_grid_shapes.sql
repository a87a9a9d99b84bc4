-- Why: a report with a position is registered in the grid whose shape contains it. Grid shapes
-- are imported as GeoJSON and kept as text; the geometry itself is tested in Rust, the same on
-- both backends (no PostGIS, which SQLite could not match). Each shape's bounding box is kept
-- in four indexed columns, so that a lookup first narrows to the few grids whose box holds the
-- point. Like `regions`, a reference table on a distributed deployment.

CREATE TABLE grid_shapes (
    grid     TEXT COLLATE "C" PRIMARY KEY REFERENCES regions (code),
    village  TEXT COLLATE "C" NOT NULL,
    min_lat  DOUBLE PRECISION NOT NULL,
    min_lon  DOUBLE PRECISION NOT NULL,
    max_lat  DOUBLE PRECISION NOT NULL,
    max_lon  DOUBLE PRECISION NOT NULL,
    geometry TEXT NOT NULL
);
CREATE INDEX grid_shapes_box ON grid_shapes (min_lat, max_lat, min_lon, max_lon);
CREATE INDEX grid_shapes_village ON grid_shapes (village, grid);
