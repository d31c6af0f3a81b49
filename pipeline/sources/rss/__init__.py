"""RSS, Atom and JSON Feed: polled with conditional GETs."""
