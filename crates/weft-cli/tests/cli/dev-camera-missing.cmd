# A camera file that does not exist is an I/O error, before anything is served.
args: dev {examples} --port 0 --camera {tmp}/no-such-clip.mp4
exit: 3
stderr-has: cannot read the camera
