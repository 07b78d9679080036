"""When the heavy steps run: their one description, and the background-thread, Ray and warm-up
executors."""
