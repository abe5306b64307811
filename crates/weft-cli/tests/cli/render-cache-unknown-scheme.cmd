# Only folders and s3://, gs://, azblob:// name a cache.
args: render programs/picture.weft --size 16x8 --fps 4 --cache ftp://x -o {tmp}/o.mp4
exit: 2
stderr-has: unknown cache scheme `ftp://`
absent: o.mp4
