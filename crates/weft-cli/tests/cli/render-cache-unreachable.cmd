# An object store nobody answers at: an I/O error naming the bucket (retries
# and timeouts are bounded), nothing written.
args: render programs/picture.weft --size 16x8 --fps 4 --cache s3://weft/piece -o {tmp}/o.mp4
env: AWS_ENDPOINT_URL=http://127.0.0.1:1
env: AWS_ACCESS_KEY_ID=k
env: AWS_SECRET_ACCESS_KEY=s
exit: 3
stderr-has: s3://weft/piece
absent: o.mp4
