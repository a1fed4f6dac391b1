# MoCo v2 / SimSiam schedule (arXiv 2003.04297, 2011.10566): SGD momentum 0.9, wd 1e-4,
# lr 0.03 at batch 256 (linear scaling), cosine decay, 200 epochs, no warm-up.
max_epochs = 200
auto_scale_lr = dict(base_batch_size=256)
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
                        end=max_epochs, convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
