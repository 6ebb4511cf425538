"""papertrends: topic modelling and trend analytics for research-paper dumps.

Importing the package is cheap: heavy libraries are imported inside the stage that needs them.
"""

__version__ = "0.1.0"
