# SimCLR's augmentation (arXiv 2002.05709, Appendix A): crops of 8-100 % (aspect 3/4-4/3)
# resized to 224, flip, colour distortion of strength 1 (jitter 0.8, 0.8, 0.8, 0.2 with p 0.8,
# grayscale p 0.2), Gaussian blur p 0.5 with σ in [0.1, 2]; both views alike. The crops record
# their box, so pixel / RPN pretexts can be composed on the same views.
_base_ = ['pixpro_pretrain.py']
crop_scale = (0.08, 1.0)
view_pipeline = [
    dict(type='RandomResizedCropWithCoord', size=224, scale=crop_scale),
    dict(type='RandomFlipWithCoord', prob=0.5),
    dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2, prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.299)),  # BGR luma weights
    dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView', transforms=[view_pipeline, view_pipeline], num_views=[1, 1]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(batch_size=256,  # per GPU; 16 GPUs = 4096 as the paper
                        dataset=dict(pipeline=train_pipeline))
