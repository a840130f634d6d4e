"""Neural networks (nn.Modules only) of the learned methods; one module per method."""
