#!/usr/bin/env bash
# Regenerates the sample videos in videos/ from ffmpeg's built-in test sources (no outside media).
# Uses the ffmpeg that npm installed (@ffmpeg-installer/ffmpeg), or $FFMPEG.
set -euo pipefail
cd "$(dirname "$0")/.."
ffmpeg="${FFMPEG:-$(node -e "process.stdout.write(require('@ffmpeg-installer/ffmpeg').path)")}"
common=(-hide_banner -loglevel error -y -c:v libx264 -preset veryslow -pix_fmt yuv420p -movflags +faststart)

# 320x240 at 30 fps, 5 s: moving colour bars, a counter and a sweeping gradient.
"$ffmpeg" -f lavfi -i "testsrc2=size=320x240:rate=30:duration=5" "${common[@]}" -crf 28 videos/testsrc2-320x240-30fps.mp4
# 480x270 (16:9) at 24 fps, 4 s: a slow Mandelbrot zoom, every pixel changing a little each frame.
"$ffmpeg" -f lavfi -i "mandelbrot=size=480x270:rate=24:end_pts=4" -t 4 "${common[@]}" -crf 30 videos/mandelbrot-480x270-24fps.mp4
# 640x360 at 25 fps, 3 s: SMPTE HD bars with a moving box, mostly still (a renderer's easy case).
"$ffmpeg" -f lavfi -i "smptehdbars=size=640x360:rate=25:duration=3" -f lavfi -i "color=c=white:size=40x40:rate=25:duration=3" \
  -filter_complex "[0][1]overlay=x='t*200':y=160" "${common[@]}" -crf 30 videos/bars-640x360-25fps.mp4
ls -l videos/*.mp4
