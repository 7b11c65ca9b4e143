"""Touch UI tests: view-models without a window, flows offscreen in fresh Kivy processes."""
