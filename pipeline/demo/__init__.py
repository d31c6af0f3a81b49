"""Demo material: the bundled sample stream (``pipeline.demo.sample``) and the phrases it is written from."""
