"""Entry points: the Litestar app and its routes, the Lambda handler, the CLI."""
