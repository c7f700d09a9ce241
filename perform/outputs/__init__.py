"""Live outputs: controller LEDs and OSC state for TouchDesigner and friends."""
