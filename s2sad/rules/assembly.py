"""Joining, splitting, repeating, padding, rotating, flipping and selecting: functions that move
elements, so each adjoint moves the gradient back to where the element came from.
"""
