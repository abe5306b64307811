# An object-store cache needs a bucket: a usage error, nothing rendered.
args: render programs/picture.weft --size 16x8 --fps 4 --cache s3:// -o {tmp}/o.mp4
exit: 2
stderr-has: no bucket
absent: o.mp4
