import torch

from lrlab.model import CNN, StackedCNN, seeded_cnn


def test_cnn_has_the_seeds_architecture():
    model = CNN()
    assert sum(p.numel() for p in model.parameters()) == 206_922
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)


def test_seeded_cnn_is_reproducible_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a, b, c = seeded_cnn(0), seeded_cnn(0), seeded_cnn(1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.fc1.weight, c.fc1.weight)


def test_stack_computes_each_models_own_output_and_gradient():
    models = [seeded_cnn(seed) for seed in range(3)]
    x = torch.rand(8, 1, 28, 28)
    stacked = StackedCNN(models)(x)
    assert stacked.shape == (3, 8, 10)
    for k, model in enumerate(models):
        torch.testing.assert_close(stacked[k], model(x), rtol=1e-5, atol=1e-5)
    stacked[1].sum().backward()
    assert models[0].fc1.weight.grad is None or models[0].fc1.weight.grad.abs().sum() == 0
    assert models[1].conv1.weight.grad.abs().sum() > 0
